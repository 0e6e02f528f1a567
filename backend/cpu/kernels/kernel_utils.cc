// Implementation of the shared kernel helpers.
#include "backend/cpu/kernels/kernel_utils.h"

#include <algorithm>

namespace gsopt::backend::cpu {

using ir::DType;
using ir::Tensor;

Tensor ToFloat32(const Tensor& t) {
  if (t.dtype() != DType::kFloat16 && t.dtype() != DType::kBFloat16) return t;
  Tensor out = Tensor::Zeros(DType::kFloat32, t.dims());
  const uint16_t* in = t.data<uint16_t>();
  float* o = out.mutable_data<float>();
  bool half = t.dtype() == DType::kFloat16;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    o[i] = half ? ir::HalfToFloat(in[i]) : ir::BFloat16ToFloat(in[i]);
  }
  return out;
}

Tensor FromFloat32(const Tensor& t, DType target) {
  if (target != DType::kFloat16 && target != DType::kBFloat16) return t;
  Tensor out = Tensor::Zeros(target, t.dims());
  const float* in = t.data<float>();
  uint16_t* o = out.mutable_data<uint16_t>();
  bool half = target == DType::kFloat16;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    o[i] = half ? ir::FloatToHalf(in[i]) : ir::FloatToBFloat16(in[i]);
  }
  return out;
}

DType ComputeType(DType dtype) { return dtype == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32; }

Tensor Widen(const Tensor& t, DType target) {
  if (t.dtype() == target) return t;
  if (target == DType::kFloat32) return ToFloat32(t);
  Tensor out = Tensor::Zeros(target, t.dims());
  for (int64_t i = 0; i < t.num_elements(); ++i) out.SetFromDouble(i, t.GetAsDouble(i));
  return out;
}

Tensor Narrow(const Tensor& t, DType target) {
  if (t.dtype() == target) return t;
  if (t.dtype() == DType::kFloat32) return FromFloat32(t, target);
  Tensor out = Tensor::Zeros(target, t.dims());
  for (int64_t i = 0; i < t.num_elements(); ++i) out.SetFromDouble(i, t.GetAsDouble(i));
  return out;
}

std::vector<double> AsDoubles(const Tensor& t) {
  Tensor widened = ToFloat32(t);
  std::vector<double> out(static_cast<size_t>(widened.num_elements()));
  if (widened.dtype() == DType::kFloat32) {
    const float* p = widened.data<float>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = p[i];
  } else if (widened.dtype() == DType::kFloat64) {
    const double* p = widened.data<double>();
    std::copy(p, p + out.size(), out.begin());
  } else {
    for (size_t i = 0; i < out.size(); ++i) out[i] = widened.GetAsDouble(static_cast<int64_t>(i));
  }
  return out;
}

Tensor FromDoubles(const std::vector<double>& values, std::vector<int64_t> dims, DType dtype) {
  if (dtype == DType::kFloat16 || dtype == DType::kBFloat16 || dtype == DType::kFloat32) {
    std::vector<float> narrowed(values.begin(), values.end());
    Tensor f32 = Tensor::FromVector<float>(std::move(dims), narrowed);
    return dtype == DType::kFloat32 ? f32 : FromFloat32(f32, dtype);
  }
  if (dtype == DType::kFloat64) return Tensor::FromVector<double>(std::move(dims), values);
  Tensor t = Tensor::Zeros(dtype, std::move(dims));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.SetFromDouble(i, values[static_cast<size_t>(i)]);
  return t;
}

absl::StatusOr<std::vector<int64_t>> BroadcastDims(const std::vector<std::vector<int64_t>>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto& s : shapes) {
    size_t offset = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[offset + i];
      if (s[i] == o || s[i] == 1) continue;
      if (o == 1) {
        o = s[i];
        continue;
      }
      return absl::InvalidArgumentError(absl::StrCat("shapes cannot be broadcast: dim ", s[i], " vs ", o));
    }
  }
  return out;
}

std::vector<int64_t> Strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

std::vector<int64_t> BroadcastIndexMap(const std::vector<int64_t>& in_dims,
                                       const std::vector<int64_t>& out_dims) {
  int64_t total = 1;
  for (int64_t d : out_dims) total *= d;
  std::vector<int64_t> map(static_cast<size_t>(total));
  size_t rank = out_dims.size();
  size_t offset = rank - in_dims.size();
  // Stride of each output axis in the input (0 where broadcast).
  std::vector<int64_t> in_strides_full(rank, 0);
  std::vector<int64_t> in_strides = Strides(in_dims);
  for (size_t i = 0; i < in_dims.size(); ++i) {
    in_strides_full[offset + i] = in_dims[i] == 1 ? 0 : in_strides[i];
  }
  std::vector<int64_t> index(rank, 0);
  int64_t in_flat = 0;
  for (int64_t k = 0; k < total; ++k) {
    map[static_cast<size_t>(k)] = in_flat;
    for (size_t ax = rank; ax-- > 0;) {  // odometer increment
      if (++index[ax] < out_dims[ax]) {
        in_flat += in_strides_full[ax];
        break;
      }
      in_flat -= in_strides_full[ax] * (out_dims[ax] - 1);
      index[ax] = 0;
    }
  }
  return map;
}

std::vector<int64_t> ToInt64s(const Tensor& t) {
  std::vector<int64_t> out(static_cast<size_t>(t.num_elements()));
  for (int64_t i = 0; i < t.num_elements(); ++i) out[static_cast<size_t>(i)] = t.GetAsInt64(i);
  return out;
}

absl::StatusOr<int64_t> NormalizeAxis(const KernelContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

}  // namespace gsopt::backend::cpu
