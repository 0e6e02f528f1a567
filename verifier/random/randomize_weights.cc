// Implementation of RandomizeWeights: classify each float constant by its
// first reader, then draw values with a scale fit for that role.
#include "verifier/random/randomize_weights.h"

#include <cmath>
#include <optional>
#include <random>

#include "verifier/random/random_tensors.h"

namespace gsopt::verifier {
namespace {

struct Range {
  double low, high;
};

int64_t Product(const std::vector<int64_t>& dims, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t i = from; i < to && i < dims.size(); ++i) n *= dims[i];
  return std::max<int64_t>(n, 1);
}

// A range whose variance is 1/fan_in keeps activations at a stable scale
// through deep stacks (LeCun initialization).
Range FanIn(int64_t fan_in) {
  double bound = std::sqrt(3.0 / static_cast<double>(std::max<int64_t>(fan_in, 1)));
  return {-bound, bound};
}

constexpr Range kBias{-0.1, 0.1};
constexpr Range kScale{0.5, 1.5};

// The range for a constant of `dims` read as input `index` of `node`, or
// nullopt when the constant is not a weight.
std::optional<Range> RoleRange(const ir::Node& node, int index, const std::vector<int64_t>& dims) {
  const std::string& op = node.op_type;
  size_t rank = dims.size();
  if (op == "Conv" || op == "ConvTranspose") {
    if (index == 1 && rank >= 3) return FanIn(Product(dims, 1, rank));
    if (index == 2) return kBias;
    return std::nullopt;
  }
  if (op == "Gemm") {
    if (index == 0 && rank == 2) return FanIn(dims[node.GetInt("transA", 0) ? 0 : 1]);
    if (index == 1 && rank == 2) return FanIn(dims[node.GetInt("transB", 0) ? 1 : 0]);
    if (index == 2) return kBias;
    return std::nullopt;
  }
  if (op == "MatMul" || op == "MatMulInteger") {
    if (index == 1 && rank >= 2) return FanIn(dims[rank - 2]);
    if (index == 1 && rank == 1) return FanIn(dims[0]);
    if (index == 0 && rank >= 1) return FanIn(dims[rank - 1]);
    return std::nullopt;
  }
  if (op == "BatchNormalization") {
    if (index == 1 || index == 4) return kScale;  // scale, variance: positive
    if (index == 2 || index == 3) return kBias;   // bias, mean
    return std::nullopt;
  }
  if (op == "LayerNormalization" || op == "InstanceNormalization" || op == "GroupNormalization" ||
      op == "SkipLayerNormalization") {
    if (op == "SkipLayerNormalization") index -= 1;  // input, skip, gamma, beta, bias
    if (index == 1) return kScale;
    if (index >= 2) return kBias;
    return std::nullopt;
  }
  if (op == "Add" || op == "Sub") return kBias;
  if (op == "Mul") return kScale;
  if (op == "Div") return index == 1 ? kScale : Range{-1, 1};
  if (op == "PRelu" && index == 1) return Range{0.0, 0.3};
  if (op == "Gather" && index == 0) return Range{-1, 1};
  return std::nullopt;
}

// The range of a constant from how it is read: directly, or through the
// layout ops exporters put between a weight and its consumer (inception_v1's
// classifier weight reaches its Gemm through a Reshape).
std::optional<Range> WeightRange(const ir::Graph& graph, const std::vector<std::vector<ir::Use>>& uses, ir::ValueId id,
                                 const std::vector<int64_t>& dims, int depth = 0) {
  for (const ir::Use& use : uses[static_cast<size_t>(id)]) {
    if (use.node == ir::kNoNode || use.input_index < 0) continue;
    const ir::Node& reader = graph.node(use.node);
    if (std::optional<Range> range = RoleRange(reader, use.input_index, dims)) return range;
    static const char* const kLayoutOps[] = {"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze"};
    bool layout = false;
    for (const char* op : kLayoutOps) layout |= reader.domain.empty() && reader.op_type == op;
    if (!layout || use.input_index != 0 || depth >= 3 || reader.outputs.empty() || reader.outputs[0] == ir::kNoValue) {
      continue;
    }
    const ir::Shape& shape = graph.value(reader.outputs[0]).type.shape;
    if (!shape.is_static()) continue;
    if (std::optional<Range> range = WeightRange(graph, uses, reader.outputs[0], shape.static_dims(), depth + 1)) {
      return range;
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<RandomizeWeightsReport> RandomizeWeights(ir::Graph& graph, uint64_t seed) {
  RandomizeWeightsReport report;
  std::mt19937_64 rng(seed);
  std::vector<std::vector<ir::Use>> uses = graph.ComputeUses();

  // Weights made by ConstantOfShape (the "light" zoo models) or stored in
  // Constant nodes become initializers first, so they can be given values.
  for (ir::NodeId n : graph.LiveNodes()) {
    const ir::Node& node = graph.node(n);
    if (!node.domain.empty() || node.num_outputs() != 1 || node.outputs[0] == ir::kNoValue) continue;
    std::optional<ir::Tensor> weight;
    if (node.op_type == "ConstantOfShape" && node.has_input(0) && graph.value(node.inputs[0]).initializer) {
      const ir::Tensor& shape = *graph.value(node.inputs[0]).initializer;
      std::vector<int64_t> dims;
      for (int64_t i = 0; i < shape.num_elements(); ++i) dims.push_back(shape.GetAsInt64(i));
      const ir::Attribute* value = node.FindAttribute("value");
      ir::DType dtype = value && value->is<ir::Tensor>() ? value->get<ir::Tensor>().dtype() : ir::DType::kFloat32;
      if (!ir::IsFloatingPoint(dtype)) continue;
      absl::StatusOr<ir::Tensor> t = ir::Tensor::Create(dtype, dims);
      if (!t.ok()) return t.status();
      weight = *std::move(t);
    } else if (node.op_type == "Constant") {
      const ir::Attribute* value = node.FindAttribute("value");
      if (value && value->is<ir::Tensor>() && ir::IsFloatingPoint(value->get<ir::Tensor>().dtype())) {
        weight = value->get<ir::Tensor>();
      }
    }
    if (!weight || weight->num_elements() < 2) continue;
    ir::ValueId out = node.outputs[0];
    if (!WeightRange(graph, uses, out, weight->dims())) continue;
    graph.RemoveNode(n);
    graph.SetConstant(out, *std::move(weight));
    ++report.materialized;
  }

  for (ir::ValueId id : graph.Initializers()) {
    ir::Value& v = graph.mutable_value(id);
    const ir::Tensor& t = *v.initializer;
    if (!ir::IsFloatingPoint(t.dtype())) continue;
    std::optional<Range> range;
    if (t.num_elements() >= 2) range = WeightRange(graph, uses, id, t.dims());
    if (!range) {
      ++report.kept;
      continue;
    }
    absl::StatusOr<ir::Tensor> random = RandomUniform(t.dtype(), t.dims(), range->low, range->high, rng);
    if (!random.ok()) return random.status();
    report.elements += random->num_elements();
    v.initializer = *std::move(random);
    ++report.randomized;
  }
  graph.Compact();
  return report;
}

}  // namespace gsopt::verifier
