// Implementation of the seeded random tensor helpers.
#include "verifier/random/random_tensors.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace gsopt::verifier {

std::vector<int64_t> ConcreteDims(const ir::Shape& shape, const RandomInputOptions& options) {
  std::vector<int64_t> dims;
  if (!shape.rank_known()) return dims;  // unknown rank: use a scalar
  for (const ir::Dim& d : shape.dims()) {
    if (d.is_static()) {
      dims.push_back(d.value());
    } else if (d.is_symbolic()) {
      auto it = options.symbolic_dims.find(d.symbol());
      dims.push_back(it != options.symbolic_dims.end() ? it->second : options.default_symbolic_dim);
    } else {
      dims.push_back(1);
    }
  }
  return dims;
}

absl::StatusOr<ir::Tensor> RandomUniform(ir::DType dtype, const std::vector<int64_t>& dims, double low,
                                         double high, std::mt19937_64& rng) {
  absl::StatusOr<ir::Tensor> t = ir::Tensor::Create(dtype, dims);
  if (!t.ok()) return t.status();
  if (dtype == ir::DType::kBool) {
    std::bernoulli_distribution coin(0.5);
    for (int64_t i = 0; i < t->num_elements(); ++i) t->SetFromDouble(i, coin(rng) ? 1 : 0);
    return t;
  }
  if (ir::IsInteger(dtype)) {
    std::uniform_int_distribution<int64_t> dist(static_cast<int64_t>(std::ceil(low)),
                                                static_cast<int64_t>(std::floor(high)));
    for (int64_t i = 0; i < t->num_elements(); ++i) t->SetFromDouble(i, static_cast<double>(dist(rng)));
    return t;
  }
  if (!ir::IsFloatingPoint(dtype)) {
    return absl::UnimplementedError(absl::StrCat("cannot make random values of type ", ir::DTypeName(dtype)));
  }
  std::uniform_real_distribution<double> dist(low, high);
  if (dtype == ir::DType::kFloat32) {  // the common case, without per-element dispatch
    float* data = t->mutable_data<float>();
    for (int64_t i = 0; i < t->num_elements(); ++i) data[i] = static_cast<float>(dist(rng));
    return t;
  }
  for (int64_t i = 0; i < t->num_elements(); ++i) t->SetFromDouble(i, dist(rng));
  return t;
}

absl::StatusOr<std::vector<ir::Tensor>> MakeRandomInputs(const ir::Graph& graph,
                                                         const RandomInputOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::vector<ir::Tensor> inputs;
  for (ir::ValueId id : graph.inputs()) {
    const ir::Value& v = graph.value(id);
    if (v.type.dtype == ir::DType::kUndefined) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph input '", v.name, "' has no tensor type; give it with --input"));
    }
    std::vector<int64_t> dims = ConcreteDims(v.type.shape, options);
    bool is_int = ir::IsInteger(v.type.dtype);
    absl::StatusOr<ir::Tensor> t =
        RandomUniform(v.type.dtype, dims, is_int ? static_cast<double>(options.int_low) : -1.0,
                      is_int ? static_cast<double>(options.int_high) : 1.0, rng);
    if (!t.ok()) {
      return absl::Status(t.status().code(), absl::StrCat("graph input '", v.name, "': ", t.status().message()));
    }
    inputs.push_back(*std::move(t));
  }
  return inputs;
}

}  // namespace gsopt::verifier
