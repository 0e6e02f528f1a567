// The analytical (roofline) cost model: op classification, the per-node
// formula and the graph breakdown. The assumptions are documented in
// cost_model.h next to the figures they concern.
#include "backend/cost/cost_model.h"

#include "ir/op_registry.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ir/check.h"

namespace gsopt::backend {

absl::string_view OpClassName(OpClass op_class) {
  switch (op_class) {
    case OpClass::kGemm: return "gemm";
    case OpClass::kConv: return "conv";
    case OpClass::kElementwise: return "elementwise";
    case OpClass::kReduction: return "reduction";
    case OpClass::kDataMovement: return "data-movement";
    case OpClass::kView: return "view";
    case OpClass::kOther: return "other";
  }
  return "other";
}

OpClass ClassifyOp(const ir::Node& node) {
  if (!node.domain.empty() && node.domain != "ai.onnx") return OpClass::kOther;
  static const absl::flat_hash_set<std::string> kGemm = {"MatMul", "Gemm", "MatMulInteger", "QLinearMatMul",
                                                         "Einsum"};
  static const absl::flat_hash_set<std::string> kConv = {"Conv", "ConvTranspose", "ConvInteger", "QLinearConv"};
  static const absl::flat_hash_set<std::string> kElementwise = {
      "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Erf",
      "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Clip", "Max",
      "Min", "Sum", "Mean", "Where", "HardSigmoid", "HardSwish", "Gelu", "Elu", "Selu", "Celu",
      "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Equal", "Less", "Greater", "LessOrEqual",
      "GreaterOrEqual", "And", "Or", "Xor", "Not", "Cast", "CastLike", "IsNaN", "IsInf", "Sin", "Cos",
      "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "BitShift",
      "QuantizeLinear", "DequantizeLinear", "Dropout"};
  static const absl::flat_hash_set<std::string> kReduction = {
      "Softmax", "LogSoftmax", "Hardmax", "BatchNormalization", "LayerNormalization",
      "InstanceNormalization", "GroupNormalization", "LpNormalization", "LRN", "MaxPool", "AveragePool",
      "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "ArgMax", "ArgMin", "CumSum", "TopK"};
  static const absl::flat_hash_set<std::string> kDataMovement = {
      "Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements", "GatherND", "Scatter",
      "ScatterElements", "ScatterND", "Expand", "Tile", "Pad", "Resize", "Upsample", "DepthToSpace",
      "SpaceToDepth", "Constant", "ConstantOfShape", "Shape", "Size", "Range", "Trilu", "ReverseSequence",
      "Compress", "NonZero", "OneHot"};
  static const absl::flat_hash_set<std::string> kView = {"Reshape", "Flatten", "Squeeze", "Unsqueeze",
                                                         "Identity"};
  const std::string& op = node.op_type;
  if (kGemm.contains(op)) return OpClass::kGemm;
  if (kConv.contains(op)) return OpClass::kConv;
  if (kElementwise.contains(op)) return OpClass::kElementwise;
  if (kReduction.contains(op) || op.rfind("Reduce", 0) == 0) return OpClass::kReduction;
  if (kDataMovement.contains(op)) return OpClass::kDataMovement;
  if (kView.contains(op)) return OpClass::kView;
  return OpClass::kOther;
}

const MachineModel::Efficiency& MachineModel::For(OpClass op_class) const {
  switch (op_class) {
    case OpClass::kGemm: return gemm;
    case OpClass::kConv: return conv;
    case OpClass::kElementwise: return elementwise;
    case OpClass::kReduction: return reduction;
    case OpClass::kDataMovement:
    case OpClass::kView: return data_movement;  // a view that is charged bytes is a copy
    case OpClass::kOther: return other;
  }
  return other;
}

std::string GraphCost::ToString(int max_rows) const {
  std::vector<const NodeCost*> order;
  order.reserve(nodes.size());
  for (const NodeCost& n : nodes) order.push_back(&n);
  // Unknown nodes first (they are what needs fixing), then most expensive.
  std::stable_sort(order.begin(), order.end(), [](const NodeCost* a, const NodeCost* b) {
    if (a->known() != b->known()) return !a->known();
    return a->known() && *a->time_us > *b->time_us;
  });
  std::string out = absl::StrFormat("%-28s %-20s %-13s %12s %12s %10s %10s\n", "node", "op", "class", "GFLOP",
                                    "MB moved", "us", "bound");
  int rows = 0;
  for (const NodeCost* n : order) {
    if (rows++ == max_rows) {
      absl::StrAppendFormat(&out, "... %d more nodes\n", static_cast<int>(order.size()) - max_rows);
      break;
    }
    if (!n->known()) {
      absl::StrAppendFormat(&out, "%-28s %-20s unknown: %s\n", n->name, n->op_type, n->unknown_reason);
      continue;
    }
    absl::StrAppendFormat(&out, "%-28s %-20s %-13s %12.4f %12.3f %10.2f %10s\n", n->name, n->op_type,
                          OpClassName(n->op_class), static_cast<double>(n->flops) / 1e9,
                          static_cast<double>(n->bytes.total()) / 1e6, *n->time_us,
                          n->memory_bound() ? "memory" : "compute");
  }
  if (total_us) {
    absl::StrAppendFormat(&out, "total: %.2f us over %d nodes\n", *total_us, static_cast<int>(nodes.size()));
  } else {
    absl::StrAppendFormat(&out, "total: unknown (%d of %d nodes have no static shapes)\n", unknown_nodes,
                          static_cast<int>(nodes.size()));
  }
  return out;
}

GraphCost CostModel::Estimate(const ir::Graph& graph) const {
  GraphCost cost;
  double total = 0;
  for (ir::NodeId id : graph.LiveNodes()) {
    NodeCost node = EstimateNode(graph, id);
    if (node.known()) {
      total += *node.time_us;
    } else {
      ++cost.unknown_nodes;
    }
    cost.nodes.push_back(std::move(node));
  }
  if (cost.unknown_nodes == 0) cost.total_us = total;
  return cost;
}

namespace {

// Add of a constant vector, or Mul/Div by a constant scalar, applied to a
// MatMul/Gemm result: ONNX Runtime fuses it into the producer.
bool FoldsIntoMatMul(const ir::Graph& graph, const ir::Node& node) {
  const std::string& op = node.op_type;
  if ((op != "Add" && op != "Mul" && op != "Div") || node.num_inputs() != 2 || !node.has_input(0) ||
      !node.has_input(1)) {
    return false;
  }
  const ir::Value& operand = graph.value(node.inputs[1]);
  if (!operand.is_constant()) return false;
  const ir::Tensor& c = *operand.initializer;
  bool fits = op == "Add" ? c.rank() == 1 : c.num_elements() == 1;
  if (!fits) return false;
  ir::NodeId producer = graph.value(node.inputs[0]).producer;
  if (producer == ir::kNoNode) return false;
  const ir::Node& p = graph.node(producer);
  return p.domain.empty() && (p.op_type == "MatMul" || p.op_type == "Gemm");
}

// For an Add of two same-shaped tensors one of which a Conv produces: the
// other operand, which ORT's fused Conv reads as its Sum input.
std::optional<ir::ValueId> ConvSumOperand(const ir::Graph& graph, const ir::Node& node) {
  if (node.op_type != "Add" || node.num_inputs() != 2 || !node.has_input(0) || !node.has_input(1)) return std::nullopt;
  const ir::Shape& a = graph.value(node.inputs[0]).type.shape;
  const ir::Shape& b = graph.value(node.inputs[1]).type.shape;
  if (!a.is_static() || !b.is_static() || a.static_dims() != b.static_dims()) return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    ir::NodeId producer = graph.value(node.inputs[static_cast<size_t>(i)]).producer;
    if (producer != ir::kNoNode && graph.node(producer).domain.empty() && graph.node(producer).op_type == "Conv") {
      return node.inputs[static_cast<size_t>(1 - i)];
    }
  }
  return std::nullopt;
}

// Whether `node` is an activation ORT fuses into the Conv producing its
// only input, that Conv's result read by nothing else.
bool FoldsIntoConv(const ir::Graph& graph, const ir::Node& node) {
  static const char* const kActivations[] = {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip"};
  bool activation = false;
  for (const char* op : kActivations) activation |= node.op_type == op;
  if (!activation || !node.has_input(0)) return false;
  const ir::Value& input = graph.value(node.inputs[0]);
  if (input.producer == ir::kNoNode) return false;
  const ir::Node& producer = graph.node(input.producer);
  if (!producer.domain.empty() || producer.op_type != "Conv") return false;
  int readers = 0;
  for (const ir::Node& other : graph.nodes()) {
    if (other.removed) continue;
    for (ir::ValueId v : other.inputs) readers += v == node.inputs[0];
  }
  bool is_output = false;
  for (ir::ValueId v : graph.outputs()) is_output |= v == node.inputs[0];
  return readers == 1 && !is_output;
}

}  // namespace

absl::StatusOr<OpWork> AnalyticalCostModel::DefaultWork(const ir::Graph& graph, const ir::Node& node,
                                                        const MachineModel& machine) {
  OpWork work;
  work.op_class = ClassifyOp(node);
  // Bytes first: they need every shape static, and their error names the value.
  absl::StatusOr<BytesMoved> bytes = NodeBytesMoved(graph, node);
  if (!bytes.ok()) return bytes.status();
  work.bytes = *bytes;
  if (work.op_class == OpClass::kView && machine.views_are_free) work.bytes = {};
  if (node.domain.empty()) {
    if (auto slow = machine.slow_kernels.find(node.op_type); slow != machine.slow_kernels.end()) {
      work.speed = slow->second;
    }
    if (machine.fold_matmul_epilogues && FoldsIntoMatMul(graph, node)) return OpWork{work.op_class, 0, {}};
    if (machine.fold_conv_activation && FoldsIntoConv(graph, node)) return OpWork{work.op_class, 0, {}};
    if (machine.fold_conv_sum) {
      if (std::optional<ir::ValueId> other = ConvSumOperand(graph, node)) {
        OpWork sum{work.op_class, 0, {}};
        sum.bytes.read = graph.value(*other).type.shape.num_elements().value_or(0) *
                         ir::ByteSizeFor(graph.value(*other).type.dtype, 1);
        return sum;
      }
    }
    if (node.op_type == "Split" && node.has_input(0) && graph.value(node.inputs[0]).type.shape.rank() == 4) {
      work.extra_bytes = machine.split_4d_extra_passes * static_cast<double>(work.bytes.total());
    }
    if (node.op_type == "Conv" && node.has_input(1)) {
      const ir::Shape& w = graph.value(node.inputs[1]).type.shape;
      int64_t group = node.GetInt("group", 1);
      if (group > 1 && w.rank() >= 3 && w.dim(1).is_static()) {
        int64_t per_group = w.dim(1).value();
        if (per_group > 1 && per_group < machine.conv_channel_block) {
          work.speed = std::pow(static_cast<double>(per_group) / static_cast<double>(machine.conv_channel_block),
                                machine.grouped_conv_exponent);
        }
      }
    }
  }
  // Data movement does no arithmetic, whatever the FLOP table says.
  if (work.op_class == OpClass::kDataMovement || work.op_class == OpClass::kView) return work;
  std::optional<int64_t> flops = NodeFlops(graph, node);
  if (!flops) {
    return absl::FailedPreconditionError(
        absl::StrCat("node ", node.Describe(), ": FLOPs need static shapes; fix symbolic input dims"));
  }
  work.flops = *flops;
  return work;
}

void AnalyticalCostModel::RegisterWork(std::string domain, std::string op_type, WorkFunction work) {
  GSOPT_CHECK(work != nullptr) << "RegisterWork(" << domain << "::" << op_type << ") without a function";
  work_[absl::StrCat(domain, "::", op_type)] = std::move(work);
}

NodeCost AnalyticalCostModel::EstimateNode(const ir::Graph& graph, ir::NodeId id) const {
  const ir::Node& node = graph.node(id);
  NodeCost cost;
  cost.node = id;
  cost.name = node.name;
  cost.op_type = node.domain.empty() ? node.op_type : absl::StrCat(node.domain, ".", node.op_type);
  auto registered = work_.find(absl::StrCat(node.domain, "::", node.op_type));
  absl::StatusOr<OpWork> work = registered != work_.end() ? registered->second(graph, node)
                                                          : DefaultWork(graph, node, machine_);
  if (!work.ok()) {
    cost.op_class = ClassifyOp(node);
    cost.unknown_reason = std::string(work.status().message());
    return cost;
  }
  cost.op_class = work->op_class;
  cost.flops = work->flops;
  cost.bytes = work->bytes;
  const MachineModel::Efficiency& eff = machine_.For(work->op_class);
  // GFLOP/s = 1e3 FLOP/us and GB/s = 1e3 B/us.
  cost.compute_us = static_cast<double>(work->flops) / (machine_.peak_gflops * eff.compute * work->speed * 1e3);
  double bytes = static_cast<double>(work->bytes.total()) + work->extra_bytes;
  double bandwidth =
      bytes <= static_cast<double>(machine_.cache_bytes) ? machine_.cache_bandwidth_gbps : machine_.dram_bandwidth_gbps;
  cost.memory_us = bytes / (bandwidth * eff.bandwidth * work->speed * 1e3);
  cost.overhead_us = machine_.launch_overhead_us;
  cost.time_us = std::max(cost.compute_us, cost.memory_us) + cost.overhead_us;
  return cost;
}

ir::Graph BoundSymbolsCostModel::Bind(const ir::Graph& graph) const {
  ir::Graph bound = graph;  // shares the weights
  bool changed = false;
  for (ir::ValueId id = 0; id < bound.num_values(); ++id) {
    ir::Shape& shape = bound.mutable_value(id).type.shape;
    if (shape.rank() < 0) continue;
    for (ir::Dim& dim : shape.mutable_dims()) {
      if (!dim.is_symbolic()) continue;
      auto it = bindings_.find(dim.symbol());
      dim = ir::Dim(it != bindings_.end() ? it->second : default_value_);
      changed = true;
    }
  }
  // Values computed from a symbol (a Reshape target built by Shape/Concat)
  // only become static when inference runs again on the bound dims. A node
  // whose inference fails keeps its types and shows up as an unknown cost.
  if (changed) {
    (void)ir::InferShapes(bound, /*strict=*/false);
    if (refine_) refine_(bound);
  }
  return bound;
}

bool BoundSymbolsCostModel::NeedsBinding(const ir::Graph& graph) {
  for (ir::ValueId id = 0; id < graph.num_values(); ++id) {
    const ir::Shape& shape = graph.value(id).type.shape;
    for (int64_t i = 0; i < std::max<int64_t>(shape.rank(), 0); ++i) {
      if (shape.dim(i).is_symbolic()) return true;
    }
  }
  return false;
}

NodeCost BoundSymbolsCostModel::EstimateNode(const ir::Graph& graph, ir::NodeId node) const {
  if (!NeedsBinding(graph)) return inner_.EstimateNode(graph, node);
  return inner_.EstimateNode(Bind(graph), node);
}

GraphCost BoundSymbolsCostModel::Estimate(const ir::Graph& graph) const {
  if (!NeedsBinding(graph)) return inner_.Estimate(graph);
  return inner_.Estimate(Bind(graph));
}

}  // namespace gsopt::backend
