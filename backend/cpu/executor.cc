// Implementation of CpuExecutor.
#include "backend/cpu/executor.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace gsopt::backend::cpu {

using ir::kNoValue;
using ir::Tensor;
using ir::ValueId;

std::vector<std::string> OpsWithoutKernels(const ir::Graph& graph) {
  std::set<std::string> missing;
  for (ir::NodeId n : graph.LiveNodes()) {
    const ir::Node& node = graph.node(n);
    if (KernelRegistry::Global().Find(node.domain, node.op_type) == nullptr) {
      missing.insert(node.domain.empty() ? node.op_type : absl::StrCat(node.domain, "::", node.op_type));
    }
  }
  return {missing.begin(), missing.end()};
}

absl::StatusOr<CpuExecutor> CpuExecutor::Create(const ir::Graph& graph) {
  CpuExecutor exec(graph);
  exec.order_ = graph.LiveNodes();
  exec.last_use_.assign(static_cast<size_t>(graph.num_values()), -1);
  for (size_t k = 0; k < exec.order_.size(); ++k) {
    const ir::Node& node = graph.node(exec.order_[k]);
    const KernelFn* kernel = KernelRegistry::Global().Find(node.domain, node.op_type);
    if (kernel == nullptr) {
      return absl::UnimplementedError(
          absl::StrCat("node ", node.Describe(), ": no CPU kernel for this op"));
    }
    exec.kernels_.push_back(kernel);
    for (ValueId in : node.inputs) {
      if (in != kNoValue) exec.last_use_[static_cast<size_t>(in)] = static_cast<int>(k);
    }
  }
  for (ValueId out : graph.outputs()) exec.last_use_[static_cast<size_t>(out)] = static_cast<int>(exec.order_.size());
  return exec;
}

absl::StatusOr<std::vector<Tensor>> CpuExecutor::Run(const std::vector<Tensor>& inputs) const {
  const ir::Graph& g = *graph_;
  if (inputs.size() != g.inputs().size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", g.inputs().size(), " inputs, got ", inputs.size()));
  }
  std::vector<Tensor> values(static_cast<size_t>(g.num_values()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::Value& v = g.value(g.inputs()[i]);
    const Tensor& t = inputs[i];
    if (v.type.dtype != ir::DType::kUndefined && t.dtype() != v.type.dtype) {
      return absl::InvalidArgumentError(absl::StrCat("input '", v.name, "' has type ", ir::DTypeName(t.dtype()),
                                                     ", expected ", ir::DTypeName(v.type.dtype)));
    }
    if (v.type.shape.rank_known()) {
      bool ok = v.type.shape.rank() == t.rank();
      for (int64_t d = 0; ok && d < t.rank(); ++d) {
        const ir::Dim& dim = v.type.shape.dim(d);
        ok = !dim.is_static() || dim.value() == t.dim(d);
      }
      if (!ok) {
        return absl::InvalidArgumentError(absl::StrCat("input '", v.name, "' has shape ",
                                                       t.type().shape.ToString(), ", expected ",
                                                       v.type.shape.ToString()));
      }
    }
    values[static_cast<size_t>(g.inputs()[i])] = t;
  }
  for (ValueId id = 0; id < g.num_values(); ++id) {
    if (g.value(id).initializer) values[static_cast<size_t>(id)] = *g.value(id).initializer;
  }
  for (size_t k = 0; k < order_.size(); ++k) {
    const ir::Node& node = g.node(order_[k]);
    std::vector<const Tensor*> in;
    in.reserve(node.inputs.size());
    for (ValueId id : node.inputs) {
      if (id == kNoValue) {
        in.push_back(nullptr);
        continue;
      }
      const Tensor& t = values[static_cast<size_t>(id)];
      if (!t.is_defined()) {
        return absl::InternalError(absl::StrCat("node ", node.Describe(), ": input '", g.value(id).name,
                                                "' has not been computed"));
      }
      in.push_back(&t);
    }
    std::vector<Tensor> out(node.outputs.size());
    KernelContext ctx(node, g.OpsetVersion(node.domain), std::move(in), &out);
    if (absl::Status s = (*kernels_[k])(ctx); !s.ok()) return s;
    for (size_t j = 0; j < node.outputs.size(); ++j) {
      ValueId id = node.outputs[j];
      if (id == kNoValue) continue;
      if (!out[j].is_defined()) {
        return absl::InternalError(absl::StrCat("node ", node.Describe(), ": kernel did not produce output ", j));
      }
      values[static_cast<size_t>(id)] = std::move(out[j]);
    }
    // Free what no later node reads (graph outputs have last_use past the end).
    for (ValueId id : node.inputs) {
      if (id != kNoValue && last_use_[static_cast<size_t>(id)] == static_cast<int>(k) &&
          !g.value(id).initializer) {
        values[static_cast<size_t>(id)] = Tensor();
      }
    }
  }
  std::vector<Tensor> result;
  result.reserve(g.outputs().size());
  for (ValueId out : g.outputs()) {
    if (!values[static_cast<size_t>(out)].is_defined()) {
      return absl::InternalError(absl::StrCat("graph output '", g.value(out).name, "' was not computed"));
    }
    result.push_back(values[static_cast<size_t>(out)]);
  }
  return result;
}

absl::StatusOr<std::map<std::string, Tensor>> CpuExecutor::RunNamed(
    const std::map<std::string, Tensor>& inputs) const {
  std::vector<Tensor> ordered;
  for (ValueId id : graph_->inputs()) {
    auto it = inputs.find(graph_->value(id).name);
    if (it == inputs.end()) {
      return absl::InvalidArgumentError(absl::StrCat("no value given for graph input '", graph_->value(id).name, "'"));
    }
    ordered.push_back(it->second);
  }
  absl::StatusOr<std::vector<Tensor>> outs = Run(ordered);
  if (!outs.ok()) return outs.status();
  std::map<std::string, Tensor> named;
  for (size_t i = 0; i < outs->size(); ++i) named[graph_->value(graph_->outputs()[i]).name] = (*outs)[i];
  return named;
}

}  // namespace gsopt::backend::cpu
