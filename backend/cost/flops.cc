// FLOP counting rules. Matrix products and convolutions dominate every model
// gsopt targets, so they are counted exactly; elementwise ops, reductions
// and normalizations count a small constant per element; data movement
// counts zero.
#include "backend/cost/flops.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace gsopt::backend {
namespace {

std::optional<std::vector<int64_t>> StaticDims(const ir::Graph& graph, ir::ValueId id) {
  if (id == ir::kNoValue) return std::nullopt;
  const ir::Shape& shape = graph.value(id).type.shape;
  if (!shape.is_static()) return std::nullopt;
  return shape.static_dims();
}

int64_t Product(const std::vector<int64_t>& dims, size_t from = 0) {
  int64_t n = 1;
  for (size_t i = from; i < dims.size(); ++i) n *= dims[i];
  return n;
}

// FLOPs per output element of cheap ops.
int64_t PerElementCost(const std::string& op) {
  static const absl::flat_hash_map<std::string, int64_t> kCosts = {
      {"Add", 1}, {"Sub", 1}, {"Mul", 1}, {"Div", 1}, {"Relu", 1}, {"LeakyRelu", 2}, {"PRelu", 2},
      {"Sigmoid", 4}, {"Tanh", 4}, {"Erf", 4}, {"Exp", 1}, {"Log", 1}, {"Sqrt", 1}, {"Pow", 1},
      {"Clip", 2}, {"HardSigmoid", 3}, {"HardSwish", 4}, {"Gelu", 8}, {"Neg", 1}, {"Abs", 1},
      {"Reciprocal", 1}, {"Max", 1}, {"Min", 1}, {"Sum", 1}, {"Mean", 1}, {"Where", 1},
      {"Softmax", 5}, {"LogSoftmax", 5}, {"BatchNormalization", 2}, {"LayerNormalization", 8},
      {"InstanceNormalization", 8}, {"GroupNormalization", 8}, {"LRN", 6}, {"Elu", 3}, {"Selu", 3},
      {"Softplus", 3}, {"Mish", 6}, {"Dropout", 0}};
  auto it = kCosts.find(op);
  return it == kCosts.end() ? 0 : it->second;
}

}  // namespace

std::optional<int64_t> NodeFlops(const ir::Graph& graph, const ir::Node& node) {
  if (!node.domain.empty()) return 0;
  std::optional<std::vector<int64_t>> out = node.outputs.empty() ? std::nullopt : StaticDims(graph, node.outputs[0]);
  const std::string& op = node.op_type;
  if (op == "MatMul") {
    std::optional<std::vector<int64_t>> a = StaticDims(graph, node.inputs[0]);
    if (!a || !out || a->empty()) return std::nullopt;
    return 2 * Product(*out) * a->back();  // each output element is a dot of length K
  }
  if (op == "Gemm") {
    std::optional<std::vector<int64_t>> a = StaticDims(graph, node.inputs[0]);
    if (!a || !out || a->size() != 2) return std::nullopt;
    int64_t k = node.GetInt("transA", 0) ? (*a)[0] : (*a)[1];
    return 2 * Product(*out) * k + Product(*out);
  }
  if (op == "Conv" || op == "ConvTranspose") {
    std::optional<std::vector<int64_t>> w = StaticDims(graph, node.inputs[1]);
    std::optional<std::vector<int64_t>> x = StaticDims(graph, node.inputs[0]);
    if (!w || !out || !x || w->size() < 3) return std::nullopt;
    if (op == "Conv") return 2 * Product(*out) * Product(*w, 1);  // per output: C/g * kernel MACs
    // Transposed: every input element scatters into C_out/g * kernel outputs.
    return 2 * Product(*x) * Product(*w, 1);
  }
  if (!out) return std::nullopt;
  if (op == "MaxPool" || op == "AveragePool") {
    int64_t window = Product(node.GetInts("kernel_shape"));
    return Product(*out) * window;
  }
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op.rfind("Reduce", 0) == 0) {
    std::optional<std::vector<int64_t>> x = StaticDims(graph, node.inputs[0]);
    return x ? std::optional<int64_t>(Product(*x)) : std::nullopt;
  }
  return Product(*out) * PerElementCost(op);
}

GraphFlops CountFlops(const ir::Graph& graph) {
  GraphFlops result;
  for (ir::NodeId id : graph.LiveNodes()) {
    std::optional<int64_t> f = NodeFlops(graph, graph.node(id));
    if (f) result.total += *f;
    else ++result.unknown_nodes;
  }
  return result;
}

namespace {

absl::StatusOr<int64_t> ValueBytes(const ir::Graph& graph, const ir::Node& node, ir::ValueId id) {
  const ir::Value& value = graph.value(id);
  std::optional<int64_t> n = value.type.shape.num_elements();
  if (!value.type.shape.rank_known() || !n) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node ", node.Describe(), ": value '", value.name, "' has shape ", value.type.shape.ToString(),
        ", not static; fix symbolic input dims (gsopt --input-shape NAME=d0,d1,...) and infer shapes"));
  }
  if (value.type.dtype == ir::DType::kUndefined || ir::DTypeBits(value.type.dtype) == 0) {
    return absl::FailedPreconditionError(absl::StrCat("node ", node.Describe(), ": value '", value.name,
                                                      "' has type ", value.type.ToString(),
                                                      ", which has no fixed element size"));
  }
  return ir::ByteSizeFor(value.type.dtype, *n);
}

}  // namespace

absl::StatusOr<BytesMoved> NodeBytesMoved(const ir::Graph& graph, const ir::Node& node) {
  BytesMoved bytes;
  absl::flat_hash_set<ir::ValueId> seen;
  for (ir::ValueId id : node.inputs) {
    if (id == ir::kNoValue || !seen.insert(id).second) continue;
    absl::StatusOr<int64_t> b = ValueBytes(graph, node, id);
    if (!b.ok()) return b.status();
    bytes.read += *b;
  }
  for (ir::ValueId id : node.outputs) {
    if (id == ir::kNoValue) continue;
    absl::StatusOr<int64_t> b = ValueBytes(graph, node, id);
    if (!b.ok()) return b.status();
    bytes.written += *b;
  }
  return bytes;
}

}  // namespace gsopt::backend
