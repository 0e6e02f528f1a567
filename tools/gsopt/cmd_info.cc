// `gsopt info MODEL`: what a model is made of — metadata, inputs and outputs
// with their types, an op histogram, parameter count and FLOPs, and which
// ops gsopt cannot execute (kept as opaque nodes).
#include <algorithm>
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backend/cost/flops.h"
#include "backend/cpu/executor.h"
#include "ir/op_registry.h"
#include "rewrites/pass.h"
#include "tools/gsopt/commands.h"
#include "tools/gsopt/model_io.h"

namespace gsopt::cli {

std::string HumanCount(double n) {
  if (n >= 1e9) return absl::StrFormat("%.2fG", n / 1e9);
  if (n >= 1e6) return absl::StrFormat("%.2fM", n / 1e6);
  if (n >= 1e3) return absl::StrFormat("%.1fK", n / 1e3);
  return absl::StrFormat("%.0f", n);
}

namespace {

// "batch, seq_len": the symbolic dims of the graph inputs, in order of appearance.
std::string SymbolicInputDims(const ir::Graph& graph) {
  std::vector<std::string> names;
  for (ir::ValueId id : graph.inputs()) {
    for (const ir::Dim& d : graph.value(id).type.shape.dims()) {
      if (d.is_symbolic() && std::find(names.begin(), names.end(), d.symbol()) == names.end()) {
        names.push_back(d.symbol());
      }
    }
  }
  std::string out;
  for (const std::string& n : names) absl::StrAppend(&out, out.empty() ? "" : ", ", n);
  return out;
}

}  // namespace

int InfoCommand(const std::vector<std::string>& args) {
  ArgSpec spec("info", "MODEL", "Prints a model's inputs, outputs, op histogram, parameters and FLOPs.");
  spec.Repeated("input-shape", "NAME=D1,D2,..", "fix the dims of a graph input (symbolic dims)");
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 1, 1, &parsed)) return *exit;
  absl::StatusOr<LoadOptions> load_options = LoadOptionsFromArgs(parsed);
  if (!load_options.ok()) return ReportError("info", load_options.status());
  const std::string& path = parsed.positional()[0];
  absl::StatusOr<ir::Graph> graph = LoadModel(path, *load_options);
  if (!graph.ok()) return ReportError("info", graph.status());

  const ir::ModelMetadata& meta = graph->metadata();
  std::printf("model: %s\n", path.c_str());
  std::string opsets;
  for (const auto& [domain, version] : meta.opset_imports) {
    absl::StrAppend(&opsets, opsets.empty() ? "" : ", ", domain.empty() ? "ai.onnx" : domain, " ", version);
  }
  std::printf("ir_version: %lld   opsets: %s   producer: %s %s\n", static_cast<long long>(meta.ir_version),
              opsets.c_str(), meta.producer_name.c_str(), meta.producer_version.c_str());
  std::printf("\ninputs:\n");
  for (ir::ValueId id : graph->inputs()) {
    std::printf("  %-32s %s\n", graph->value(id).name.c_str(), graph->value(id).type.ToString().c_str());
  }
  std::printf("outputs:\n");
  for (ir::ValueId id : graph->outputs()) {
    std::printf("  %-32s %s\n", graph->value(id).name.c_str(), graph->value(id).type.ToString().c_str());
  }

  std::map<std::string, int> histogram;
  for (ir::NodeId n : graph->LiveNodes()) {
    const ir::Node& node = graph->node(n);
    histogram[node.domain.empty() ? node.op_type : absl::StrCat(node.domain, "::", node.op_type)]++;
  }
  std::vector<std::pair<std::string, int>> ops(histogram.begin(), histogram.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::printf("\nnodes: %d (%zu op types)\n", graph->num_live_nodes(), ops.size());
  for (const auto& [op, count] : ops) std::printf("  %-32s %d\n", op.c_str(), count);

  int64_t parameters = 0, parameter_bytes = 0;
  std::vector<ir::ValueId> initializers = graph->Initializers();
  for (ir::ValueId id : initializers) {
    parameters += graph->value(id).initializer->num_elements();
    parameter_bytes += graph->value(id).initializer->byte_size();
  }
  std::printf("\nparameters: %s in %zu initializers (%s bytes)\n", HumanCount(static_cast<double>(parameters)).c_str(),
              initializers.size(), HumanCount(static_cast<double>(parameter_bytes)).c_str());
  backend::GraphFlops flops = backend::CountFlops(*graph);
  std::string symbols = SymbolicInputDims(*graph);
  bool counted_at_one = false;
  if (flops.unknown_nodes > 0 && !symbols.empty()) {
    // Count at the smallest size a user would run instead of reporting nothing.
    ir::Graph unit = *graph;
    for (ir::ValueId id : unit.inputs()) {
      for (ir::Dim& d : unit.mutable_value(id).type.shape.mutable_dims()) {
        if (d.is_symbolic()) d = ir::Dim(1);
      }
    }
    // Folding the shape computations (Shape -> Gather -> Concat -> Reshape)
    // is what makes the downstream shapes static.
    rewrites::PassPipeline fold = rewrites::MakeCleanupPipeline();
    if (ir::InferShapes(unit, /*strict=*/false).ok() && fold.Run(unit).ok()) {
      backend::GraphFlops at_one = backend::CountFlops(unit);
      if (at_one.unknown_nodes < flops.unknown_nodes) {
        flops = at_one;
        std::printf("FLOPs (with %s = 1): %s", symbols.c_str(), HumanCount(static_cast<double>(flops.total)).c_str());
        counted_at_one = true;
      }
    }
  }
  if (!counted_at_one) std::printf("FLOPs: %s", HumanCount(static_cast<double>(flops.total)).c_str());
  if (flops.unknown_nodes > 0) {
    std::printf(" (+ %d nodes with non-static shapes not counted; fix them with --input-shape)", flops.unknown_nodes);
  }
  std::printf("\n");
  std::vector<std::string> opaque = backend::cpu::OpsWithoutKernels(*graph);
  if (!opaque.empty()) {
    std::string list;
    for (const std::string& op : opaque) absl::StrAppend(&list, list.empty() ? "" : ", ", op);
    std::printf("ops gsopt cannot execute (kept unchanged): %s\n", list.c_str());
  }
  return kExitOk;
}

}  // namespace gsopt::cli
