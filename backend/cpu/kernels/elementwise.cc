// CPU kernels for the elementwise op family: unary math and activations,
// numpy-broadcasting binary and variadic ops, comparisons and logic, Where,
// Cast/CastLike (float8 through the shared codecs of minifloat.h), Identity,
// Dropout (inference) and the com.microsoft Gelu variants.
//
// Broadcasting goes through one BroadcastPlan: the output's axes are merged
// wherever every input is either fully present or fully broadcast, leaving a
// contiguous innermost run that each input walks with step 1 or 0. Same-shape
// operands, scalars and trailing vectors (bias adds) therefore become one
// tight loop or a few long ones; the odometer only ticks between runs.
//
// Half-precision inputs (f16, bf16) are computed in f32 and rounded back.
// Integer arithmetic wraps (computed in unsigned types) instead of being
// undefined on overflow; integer division and modulo by zero give 0.
#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_utils.h"
#include "backend/cpu/kernels/minifloat.h"
#include "ir/check.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;

// ---- dtype sets -------------------------------------------------------------

// Which element types a kernel accepts. Half types are accepted wherever
// floats are, and computed in f32.
enum class TypeSet { kFloat, kSignedNumeric, kNumeric, kInteger, kBool, kNumericOrBool };

bool IsHalf(DType d) { return d == DType::kFloat16 || d == DType::kBFloat16; }

bool InTypeSet(TypeSet set, DType d) {
  switch (set) {
    case TypeSet::kFloat: return ir::IsFloatingPoint(d);
    case TypeSet::kSignedNumeric: return ir::IsFloatingPoint(d) || ir::IsSignedInteger(d);
    case TypeSet::kNumeric: return ir::IsFloatingPoint(d) || ir::IsInteger(d);
    case TypeSet::kInteger: return ir::IsInteger(d);
    case TypeSet::kBool: return d == DType::kBool;
    case TypeSet::kNumericOrBool: return ir::IsFloatingPoint(d) || ir::IsInteger(d) || d == DType::kBool;
  }
  return false;
}

template <TypeSet kSet, typename T>
constexpr bool InTypeSetV() {
  constexpr bool is_bool = std::is_same_v<T, bool>;
  constexpr bool is_float = std::is_floating_point_v<T>;
  constexpr bool is_int = std::is_integral_v<T> && !is_bool;
  switch (kSet) {
    case TypeSet::kFloat: return is_float;
    case TypeSet::kSignedNumeric: return is_float || (is_int && std::is_signed_v<T>);
    case TypeSet::kNumeric: return is_float || is_int;
    case TypeSet::kInteger: return is_int;
    case TypeSet::kBool: return is_bool;
    case TypeSet::kNumericOrBool: return true;
  }
  return false;
}

// float8, the 4-bit types and complex are valid ONNX element types that these
// kernels do not compute (Unimplemented); anything else is a type the op
// does not accept (an error in the model).
absl::Status UnsupportedType(const KernelContext& ctx, DType d) {
  const bool valid_but_unimplemented = d == DType::kComplex64 || d == DType::kComplex128 ||
                                       static_cast<int32_t>(d) >= static_cast<int32_t>(DType::kFloat8E4M3FN);
  if (valid_but_unimplemented) {
    return absl::UnimplementedError(absl::StrCat("node ", ctx.node().Describe(), ": element type ",
                                                 ir::DTypeName(d), " is not implemented for this op"));
  }
  return ctx.Error(absl::StrCat("element type ", ir::DTypeName(d), " is not supported by this op"));
}

// Unsigned type at least as wide as int, so that arithmetic on it never
// promotes to (overflowing) signed int.
template <typename T>
using WrapType = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

template <typename T>
T WrapAdd(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
  else return a + b;
}
template <typename T>
T WrapSub(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<WrapType<T>>(a) - static_cast<WrapType<T>>(b));
  else return a - b;
}
template <typename T>
T WrapMul(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
  else return a * b;
}
template <typename T>
T WrapNeg(T a) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(WrapType<T>{0} - static_cast<WrapType<T>>(a));
  else return -a;
}

// C-style truncating division; x/0 gives 0 and MIN/-1 wraps to MIN rather
// than trapping.
template <typename T>
T SafeDiv(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == 0) return 0;
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return WrapNeg(a);
    }
    return static_cast<T>(a / b);
  } else {
    return a / b;
  }
}

// Float to integer: truncation toward zero. ONNX leaves NaN and
// out-of-range values undefined; numpy and ONNX Runtime give what the x86-64
// conversion sequences give, and this reproduces those results without
// relying on undefined behaviour: an out-of-range signed 32/64-bit
// conversion yields the minimum ("integer indefinite"); unsigned 32/64-bit
// targets convert values at or above 2^(n-1) after subtracting it and flip
// the top bit back; 8- and 16-bit targets keep the low bits of an int32
// conversion.
template <typename To>
To FloatToInt(double x) {
  constexpr double kTwo31 = 2147483648.0;
  constexpr double kTwo63 = 9223372036854775808.0;
  auto to_int64 = [](double v) -> int64_t {
    if (!(v > -kTwo63 - 1.0 && v < kTwo63)) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(v);
  };
  auto to_int32 = [](double v) -> int32_t {
    if (!(v > -kTwo31 - 1.0 && v < kTwo31)) return std::numeric_limits<int32_t>::min();
    return static_cast<int32_t>(v);
  };
  if constexpr (std::is_same_v<To, uint64_t>) {
    if (x >= kTwo63) return static_cast<uint64_t>(to_int64(x - kTwo63)) ^ (uint64_t{1} << 63);
    return static_cast<uint64_t>(to_int64(x));
  } else if constexpr (std::is_same_v<To, uint32_t>) {
    if (x >= kTwo31) return static_cast<uint32_t>(to_int32(x - kTwo31)) ^ (uint32_t{1} << 31);
    return static_cast<uint32_t>(to_int32(x));
  } else if constexpr (sizeof(To) == 8) {
    return static_cast<To>(to_int64(x));
  } else {
    return static_cast<To>(to_int32(x));
  }
}

// A double to T (a float type, or an integer via FloatToInt).
template <typename T>
T FromDouble(double x) {
  if constexpr (std::is_floating_point_v<T>) return static_cast<T>(x);
  else if constexpr (std::is_same_v<T, bool>) return x != 0;
  else return FloatToInt<T>(x);
}

// ---- broadcasting -----------------------------------------------------------

// How K inputs are walked to produce a broadcast output; see the file comment.
template <size_t K>
struct BroadcastPlan {
  std::vector<int64_t> out_dims;
  int64_t out_elements = 0;
  int64_t inner = 1;                                  // length of each contiguous run
  std::array<int64_t, K> inner_step{};                // 1: input moves along the run; 0: repeated
  std::vector<int64_t> outer_dims;                    // merged axes outside the run
  std::array<std::vector<int64_t>, K> outer_strides;  // per input, element stride of each outer axis
};

template <size_t K>
absl::StatusOr<BroadcastPlan<K>> PlanBroadcast(const KernelContext& ctx,
                                               const std::array<std::vector<int64_t>, K>& in_dims) {
  BroadcastPlan<K> plan;
  absl::StatusOr<std::vector<int64_t>> out =
      BroadcastDims(std::vector<std::vector<int64_t>>(in_dims.begin(), in_dims.end()));
  if (!out.ok()) return ctx.Error(out.status().message());
  plan.out_dims = *std::move(out);
  plan.out_elements = 1;
  for (int64_t d : plan.out_dims) plan.out_elements *= d;

  struct MergedAxis {
    int64_t size;
    std::array<bool, K> present;  // input k has this axis (not broadcast along it)
  };
  std::vector<MergedAxis> axes;
  const size_t rank = plan.out_dims.size();
  for (size_t axis = 0; axis < rank; ++axis) {
    int64_t size = plan.out_dims[axis];
    if (size == 1) continue;  // contributes nothing to any offset
    std::array<bool, K> present{};
    for (size_t k = 0; k < K; ++k) {
      size_t offset = rank - in_dims[k].size();
      present[k] = axis >= offset && in_dims[k][axis - offset] == size;
    }
    if (!axes.empty() && axes.back().present == present) {
      axes.back().size *= size;  // row-major contiguity lets equal patterns fuse
    } else {
      axes.push_back({size, present});
    }
  }
  if (axes.empty()) return plan;  // every input has a single element
  plan.inner = axes.back().size;
  for (size_t k = 0; k < K; ++k) plan.inner_step[k] = axes.back().present[k] ? 1 : 0;
  const size_t outer = axes.size() - 1;
  plan.outer_dims.resize(outer);
  for (size_t j = 0; j < outer; ++j) plan.outer_dims[j] = axes[j].size;
  for (size_t k = 0; k < K; ++k) {
    plan.outer_strides[k].assign(outer, 0);
    int64_t stride = axes.back().present[k] ? plan.inner : 1;
    for (size_t j = outer; j-- > 0;) {
      if (axes[j].present[k]) {
        plan.outer_strides[k][j] = stride;
        stride *= axes[j].size;
      }
    }
  }
  return plan;
}

// Calls run(input_offsets, output_offset) once per contiguous run of plan.inner elements.
template <size_t K, typename RunFn>
void ForEachRun(const BroadcastPlan<K>& plan, RunFn&& run) {
  if (plan.out_elements == 0) return;
  const size_t n = plan.outer_dims.size();
  std::vector<int64_t> index(n, 0);
  std::array<int64_t, K> offsets{};
  const int64_t runs = plan.out_elements / plan.inner;
  for (int64_t r = 0; r < runs; ++r) {
    run(offsets, r * plan.inner);
    for (size_t axis = n; axis-- > 0;) {  // odometer over the outer axes
      if (++index[axis] < plan.outer_dims[axis]) {
        for (size_t k = 0; k < K; ++k) offsets[k] += plan.outer_strides[k][axis];
        break;
      }
      index[axis] = 0;
      for (size_t k = 0; k < K; ++k) offsets[k] -= plan.outer_strides[k][axis] * (plan.outer_dims[axis] - 1);
    }
  }
}

// One run of a binary op; the four branches let the compiler vectorize the
// common shapes (both moving, or one operand held in a register).
template <typename A, typename B, typename O, typename Fn>
inline void BinaryRun(const A* a, int64_t a_step, const B* b, int64_t b_step, O* out, int64_t n, const Fn& fn) {
  if (a_step != 0 && b_step != 0) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<O>(fn(a[i], b[i]));
  } else if (a_step != 0) {
    const B bv = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<O>(fn(a[i], bv));
  } else if (b_step != 0) {
    const A av = *a;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<O>(fn(av, b[i]));
  } else {
    std::fill_n(out, n, static_cast<O>(fn(*a, *b)));
  }
}

// out = fn(a, b) broadcast, with element types A, B and O (dtype `out_dtype`).
template <typename A, typename B, typename O, typename Fn>
absl::StatusOr<Tensor> BroadcastBinary(const KernelContext& ctx, const Tensor& a, std::vector<int64_t> a_dims,
                                       const Tensor& b, std::vector<int64_t> b_dims, DType out_dtype, const Fn& fn) {
  absl::StatusOr<BroadcastPlan<2>> plan = PlanBroadcast<2>(ctx, {std::move(a_dims), std::move(b_dims)});
  if (!plan.ok()) return plan.status();
  Tensor out = Tensor::Zeros(out_dtype, plan->out_dims);
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  O* po = out.mutable_data<O>();
  const int64_t n = plan->inner;
  const int64_t sa = plan->inner_step[0], sb = plan->inner_step[1];
  ForEachRun(*plan, [&](const std::array<int64_t, 2>& off, int64_t out_off) {
    BinaryRun(pa + off[0], sa, pb + off[1], sb, po + out_off, n, fn);
  });
  return out;
}

// Before opset 7, Add/Sub/Mul/Div/Pow/And/Or/Xor/Equal/Less/Greater
// broadcast only with the `broadcast` attribute, aligning B to A at `axis`
// (or as a suffix). Returns B's dims padded with trailing ones so that numpy
// broadcasting reproduces that alignment.
absl::StatusOr<std::vector<int64_t>> AlignedSecondDims(const KernelContext& ctx, const Tensor& a, const Tensor& b) {
  if (ctx.opset() <= 0 || ctx.opset() >= 7 || ctx.node().GetInt("broadcast", 0) == 0) return b.dims();
  int64_t axis = ctx.node().GetInt("axis", a.rank() - b.rank());
  if (axis < 0) axis += a.rank();
  if (axis < 0 || axis + b.rank() > a.rank()) {
    return ctx.Error(absl::StrCat("legacy broadcast of shape rank ", b.rank(), " at axis ", axis,
                                  " does not fit rank ", a.rank()));
  }
  std::vector<int64_t> dims = b.dims();
  dims.resize(static_cast<size_t>(a.rank() - axis), 1);
  return dims;
}

absl::StatusOr<std::pair<const Tensor*, const Tensor*>> TwoInputs(const KernelContext& ctx) {
  const Tensor* a = ctx.input(0);
  const Tensor* b = ctx.input(1);
  if (a == nullptr || b == nullptr) return ctx.Error("expected two inputs");
  return std::make_pair(a, b);
}

absl::Status CheckSameDType(const KernelContext& ctx, const Tensor& a, const Tensor& b) {
  if (a.dtype() == b.dtype()) return absl::OkStatus();
  return ctx.Error(absl::StrCat("inputs have different types ", ir::DTypeName(a.dtype()), " and ",
                                ir::DTypeName(b.dtype())));
}

// A binary op whose output has the inputs' dtype (`bool_output`: bool), for
// the element types in kSet. fn is generic over the C++ element type.
template <TypeSet kSet, bool kBoolOutput = false, typename Fn>
absl::Status BinaryKernel(KernelContext& ctx, const Fn& fn) {
  absl::StatusOr<std::pair<const Tensor*, const Tensor*>> in = TwoInputs(ctx);
  if (!in.ok()) return in.status();
  const Tensor& a = *in->first;
  const Tensor& b = *in->second;
  if (absl::Status s = CheckSameDType(ctx, a, b); !s.ok()) return s;
  const DType dtype = a.dtype();
  if (!InTypeSet(kSet, dtype)) return UnsupportedType(ctx, dtype);
  absl::StatusOr<std::vector<int64_t>> b_dims = AlignedSecondDims(ctx, a, b);
  if (!b_dims.ok()) return b_dims.status();
  if constexpr (InTypeSetV<kSet, float>()) {
    if (IsHalf(dtype)) {
      using O = std::conditional_t<kBoolOutput, bool, float>;
      Tensor af = ToFloat32(a), bf = ToFloat32(b);
      absl::StatusOr<Tensor> out = BroadcastBinary<float, float, O>(
          ctx, af, a.dims(), bf, *b_dims, kBoolOutput ? DType::kBool : DType::kFloat32, fn);
      if (!out.ok()) return out.status();
      ctx.set_output(0, kBoolOutput ? *std::move(out) : FromFloat32(*out, dtype));
      return absl::OkStatus();
    }
  }
  return DispatchNumeric(dtype, [&]<typename T>() -> absl::Status {
    if constexpr (InTypeSetV<kSet, T>()) {
      using O = std::conditional_t<kBoolOutput, bool, T>;
      absl::StatusOr<Tensor> out =
          BroadcastBinary<T, T, O>(ctx, a, a.dims(), b, *b_dims, kBoolOutput ? DType::kBool : dtype, fn);
      if (!out.ok()) return out.status();
      ctx.set_output(0, *std::move(out));
      return absl::OkStatus();
    } else {
      return UnsupportedType(ctx, dtype);
    }
  });
}

// ---- unary ------------------------------------------------------------------

template <typename In, typename Out, typename Fn>
void MapElements(const Tensor& in, Tensor& out, const Fn& fn) {
  const In* x = in.data<In>();
  Out* y = out.mutable_data<Out>();
  const int64_t n = in.num_elements();
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<Out>(fn(x[i]));
}

const Tensor* FirstInput(const KernelContext& ctx) { return ctx.input(0); }

// y = fn(x) elementwise with y of x's dtype, for element types in kSet.
template <TypeSet kSet, typename Fn>
absl::Status UnaryKernel(KernelContext& ctx, const Fn& fn) {
  const Tensor* x = FirstInput(ctx);
  if (x == nullptr) return ctx.Error("input 0 is missing");
  const DType dtype = x->dtype();
  if (!InTypeSet(kSet, dtype)) return UnsupportedType(ctx, dtype);
  if constexpr (InTypeSetV<kSet, float>()) {
    if (IsHalf(dtype)) {
      Tensor xf = ToFloat32(*x);
      Tensor yf = Tensor::Zeros(DType::kFloat32, x->dims());
      MapElements<float, float>(xf, yf, fn);
      ctx.set_output(0, FromFloat32(yf, dtype));
      return absl::OkStatus();
    }
  }
  return DispatchNumeric(dtype, [&]<typename T>() -> absl::Status {
    if constexpr (InTypeSetV<kSet, T>()) {
      Tensor y = Tensor::Zeros(dtype, x->dims());
      MapElements<T, T>(*x, y, fn);
      ctx.set_output(0, std::move(y));
      return absl::OkStatus();
    } else {
      return UnsupportedType(ctx, dtype);
    }
  });
}

// Registers a float-only activation/math op y = fn(x).
template <typename Fn>
void RegisterFloatUnary(KernelRegistry& registry, std::string op, Fn fn, std::string domain = "") {
  registry.Register(std::move(domain), std::move(op),
                    [fn](KernelContext& ctx) { return UnaryKernel<TypeSet::kFloat>(ctx, fn); });
}

// Numerically stable logistic function.
template <typename T>
T Sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

// log(1 + exp(x)) without overflow for large x.
template <typename T>
T Softplus(T x) {
  if (x > T(0)) return x + std::log1p(std::exp(-x));
  return std::log1p(std::exp(x));
}

template <typename T>
T GeluErf(T x) {
  return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
}

template <typename T>
T GeluTanh(T x) {
  constexpr double kSqrt2OverPi = 0.79788456080286535588;
  return T(0.5) * x * (T(1) + std::tanh(T(kSqrt2OverPi) * (x + T(0.044715) * x * x * x)));
}

// IsNaN / IsInf: bool output, float inputs.
template <typename Pred>
absl::Status FloatPredicateKernel(KernelContext& ctx, const Pred& pred) {
  const Tensor* x = FirstInput(ctx);
  if (x == nullptr) return ctx.Error("input 0 is missing");
  if (!ir::IsFloatingPoint(x->dtype())) return UnsupportedType(ctx, x->dtype());
  Tensor xf = ToFloat32(*x);
  Tensor y = Tensor::Zeros(DType::kBool, x->dims());
  absl::Status status = DispatchFloat(xf.dtype(), [&]<typename T>() -> absl::Status {
    MapElements<T, bool>(xf, y, pred);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  ctx.set_output(0, std::move(y));
  return absl::OkStatus();
}

void RegisterUnaryMathKernels(KernelRegistry& registry) {
  registry.Register("", "Abs", [](KernelContext& ctx) {
    return UnaryKernel<TypeSet::kNumeric>(ctx, []<typename T>(T x) -> T {
      if constexpr (std::is_floating_point_v<T>) return std::fabs(x);
      else if constexpr (std::is_signed_v<T>) return x < 0 ? WrapNeg(x) : x;
      else return x;
    });
  });
  registry.Register("", "Neg", [](KernelContext& ctx) {
    return UnaryKernel<TypeSet::kSignedNumeric>(ctx, []<typename T>(T x) -> T { return WrapNeg(x); });
  });
  registry.Register("", "Sign", [](KernelContext& ctx) {
    return UnaryKernel<TypeSet::kNumeric>(ctx, []<typename T>(T x) -> T {
      if (x > T(0)) return T(1);
      if constexpr (std::is_signed_v<T>) {
        if (x < T(0)) return T(-1);
      }
      return x;  // zero, or NaN which stays NaN
    });
  });
  RegisterFloatUnary(registry, "Exp", [](auto x) { return std::exp(x); });
  RegisterFloatUnary(registry, "Log", [](auto x) { return std::log(x); });
  RegisterFloatUnary(registry, "Sqrt", [](auto x) { return std::sqrt(x); });
  RegisterFloatUnary(registry, "Reciprocal", [](auto x) { return decltype(x)(1) / x; });
  RegisterFloatUnary(registry, "Floor", [](auto x) { return std::floor(x); });
  RegisterFloatUnary(registry, "Ceil", [](auto x) { return std::ceil(x); });
  // nearbyint rounds half to even in the default rounding mode, as ONNX asks.
  RegisterFloatUnary(registry, "Round", [](auto x) { return std::nearbyint(x); });
  RegisterFloatUnary(registry, "Sin", [](auto x) { return std::sin(x); });
  RegisterFloatUnary(registry, "Cos", [](auto x) { return std::cos(x); });
  RegisterFloatUnary(registry, "Tan", [](auto x) { return std::tan(x); });
  RegisterFloatUnary(registry, "Asin", [](auto x) { return std::asin(x); });
  RegisterFloatUnary(registry, "Acos", [](auto x) { return std::acos(x); });
  RegisterFloatUnary(registry, "Atan", [](auto x) { return std::atan(x); });
  RegisterFloatUnary(registry, "Sinh", [](auto x) { return std::sinh(x); });
  RegisterFloatUnary(registry, "Cosh", [](auto x) { return std::cosh(x); });
  RegisterFloatUnary(registry, "Asinh", [](auto x) { return std::asinh(x); });
  RegisterFloatUnary(registry, "Acosh", [](auto x) { return std::acosh(x); });
  RegisterFloatUnary(registry, "Atanh", [](auto x) { return std::atanh(x); });
  // Erf-9 also accepted integer tensors; they are computed in double.
  registry.Register("", "Erf", [](KernelContext& ctx) {
    return UnaryKernel<TypeSet::kNumeric>(ctx, []<typename T>(T x) -> T {
      if constexpr (std::is_floating_point_v<T>) return std::erf(x);
      else return FromDouble<T>(std::erf(static_cast<double>(x)));
    });
  });
  registry.Register("", "IsNaN", [](KernelContext& ctx) {
    return FloatPredicateKernel(ctx, [](auto x) { return std::isnan(x); });
  });
  registry.Register("", "IsInf", [](KernelContext& ctx) {
    const bool negative = ctx.node().GetInt("detect_negative", 1) != 0;
    const bool positive = ctx.node().GetInt("detect_positive", 1) != 0;
    return FloatPredicateKernel(ctx, [negative, positive](auto x) {
      return std::isinf(x) && (x > 0 ? positive : negative);
    });
  });
  registry.Register("", "Not", [](KernelContext& ctx) {
    return UnaryKernel<TypeSet::kBool>(ctx, [](bool x) { return !x; });
  });
  registry.Register("", "BitwiseNot", [](KernelContext& ctx) {
    return UnaryKernel<TypeSet::kInteger>(ctx, []<typename T>(T x) -> T { return static_cast<T>(~x); });
  });
}

// ---- activations ------------------------------------------------------------

// Clip bounds: attributes before opset 11, optional one-element inputs from 11.
template <typename T>
absl::StatusOr<T> ClipBound(const KernelContext& ctx, int input, absl::string_view attr, T default_value) {
  if (ctx.opset() > 0 && ctx.opset() < 11) {
    const ir::Attribute* a = ctx.node().FindAttribute(attr);
    if (a == nullptr || !a->is<float>()) return default_value;
    return FromDouble<T>(a->get<float>());
  }
  const Tensor* t = ctx.input(input);
  if (t == nullptr) return default_value;
  if (t->num_elements() != 1) {
    return ctx.Error(absl::StrCat(attr, " must be a scalar, got ", t->num_elements(), " elements"));
  }
  if (ctx.input(0)->dtype() != t->dtype()) {
    return ctx.Error(absl::StrCat(attr, " has type ", ir::DTypeName(t->dtype()), ", expected ",
                                  ir::DTypeName(ctx.input(0)->dtype())));
  }
  if (IsHalf(t->dtype())) return static_cast<T>(t->GetAsDouble(0));
  return t->data<T>()[0];
}

absl::Status ClipKernel(KernelContext& ctx) {
  const Tensor* x = FirstInput(ctx);
  if (x == nullptr) return ctx.Error("input 0 is missing");
  const DType dtype = x->dtype();
  if (!InTypeSet(TypeSet::kNumeric, dtype)) return UnsupportedType(ctx, dtype);
  auto run = [&]<typename T>(const Tensor& input) -> absl::StatusOr<Tensor> {
    absl::StatusOr<T> lo = ClipBound<T>(ctx, 1, "min", std::numeric_limits<T>::lowest());
    if (!lo.ok()) return lo.status();
    absl::StatusOr<T> hi = ClipBound<T>(ctx, 2, "max", std::numeric_limits<T>::max());
    if (!hi.ok()) return hi.status();
    // When min > max every element becomes max, which min(max(x, lo), hi) gives.
    Tensor y = Tensor::Zeros(input.dtype(), input.dims());
    const T low = *lo, high = *hi;
    MapElements<T, T>(input, y, [low, high](T v) { return std::min(std::max(v, low), high); });
    return y;
  };
  absl::StatusOr<Tensor> out;
  if (IsHalf(dtype)) {
    out = run.template operator()<float>(ToFloat32(*x));
    if (out.ok()) out = FromFloat32(*out, dtype);
  } else {
    absl::Status status = DispatchNumeric(dtype, [&]<typename T>() -> absl::Status {
      if constexpr (InTypeSetV<TypeSet::kNumeric, T>()) {
        out = run.template operator()<T>(*x);
        return absl::OkStatus();
      } else {
        return UnsupportedType(ctx, dtype);
      }
    });
    if (!status.ok()) return status;
  }
  if (!out.ok()) return out.status();
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

// PRelu: y = x < 0 ? slope * x : x. ONNX asks for the slope to broadcast
// to X (unidirectionally); ONNX Runtime broadcasts both ways, and so does
// this kernel, so models it runs run here too.
absl::Status PReluKernel(KernelContext& ctx) {
  return BinaryKernel<TypeSet::kNumeric>(ctx, []<typename T>(T x, T slope) -> T {
    if constexpr (std::is_unsigned_v<T>) return x;
    else return x < T(0) ? WrapMul(slope, x) : x;
  });
}

void RegisterActivationKernels(KernelRegistry& registry) {
  registry.Register("", "Relu", [](KernelContext& ctx) {
    // x < 0 ? 0 : x keeps NaN, as numpy's maximum(x, 0) does.
    return UnaryKernel<TypeSet::kSignedNumeric>(ctx, []<typename T>(T x) -> T { return x < T(0) ? T(0) : x; });
  });
  registry.Register("", "LeakyRelu", [](KernelContext& ctx) {
    const double alpha = ctx.node().GetFloat("alpha", 0.01f);
    return UnaryKernel<TypeSet::kFloat>(ctx, [alpha]<typename T>(T x) -> T { return x < T(0) ? T(alpha) * x : x; });
  });
  registry.Register("", "PRelu", PReluKernel);
  registry.Register("", "Elu", [](KernelContext& ctx) {
    const double alpha = ctx.node().GetFloat("alpha", 1.0f);
    return UnaryKernel<TypeSet::kFloat>(
        ctx, [alpha]<typename T>(T x) -> T { return x < T(0) ? T(alpha) * std::expm1(x) : x; });
  });
  registry.Register("", "Selu", [](KernelContext& ctx) {
    const double alpha = ctx.node().GetFloat("alpha", 1.67326319217681884765625f);
    const double gamma = ctx.node().GetFloat("gamma", 1.05070102214813232421875f);
    return UnaryKernel<TypeSet::kFloat>(ctx, [alpha, gamma]<typename T>(T x) -> T {
      return x > T(0) ? T(gamma) * x : T(gamma) * (T(alpha) * std::exp(x) - T(alpha));
    });
  });
  registry.Register("", "Celu", [](KernelContext& ctx) {
    const double alpha = ctx.node().GetFloat("alpha", 1.0f);
    if (alpha == 0) return ctx.Error("alpha must not be 0");
    return UnaryKernel<TypeSet::kFloat>(ctx, [alpha]<typename T>(T x) -> T {
      return std::max(T(0), x) + std::min(T(0), T(alpha) * std::expm1(x / T(alpha)));
    });
  });
  RegisterFloatUnary(registry, "Sigmoid", [](auto x) { return Sigmoid(x); });
  registry.Register("", "HardSigmoid", [](KernelContext& ctx) {
    const double alpha = ctx.node().GetFloat("alpha", 0.2f);
    const double beta = ctx.node().GetFloat("beta", 0.5f);
    return UnaryKernel<TypeSet::kFloat>(ctx, [alpha, beta]<typename T>(T x) -> T {
      return std::max(T(0), std::min(T(1), T(alpha) * x + T(beta)));
    });
  });
  RegisterFloatUnary(registry, "HardSwish", []<typename T>(T x) -> T {
    return x * std::max(T(0), std::min(T(1), x / T(6) + T(0.5)));
  });
  RegisterFloatUnary(registry, "Tanh", [](auto x) { return std::tanh(x); });
  RegisterFloatUnary(registry, "Softplus", [](auto x) { return Softplus(x); });
  RegisterFloatUnary(registry, "Softsign", []<typename T>(T x) -> T { return x / (T(1) + std::fabs(x)); });
  RegisterFloatUnary(registry, "Mish", []<typename T>(T x) -> T { return x * std::tanh(Softplus(x)); });
  registry.Register("", "ThresholdedRelu", [](KernelContext& ctx) {
    const double alpha = ctx.node().GetFloat("alpha", 1.0f);
    return UnaryKernel<TypeSet::kFloat>(ctx, [alpha]<typename T>(T x) -> T { return x > T(alpha) ? x : T(0); });
  });
  registry.Register("", "Shrink", [](KernelContext& ctx) {
    const double bias = ctx.node().GetFloat("bias", 0.0f);
    const double lambd = ctx.node().GetFloat("lambd", 0.5f);
    return UnaryKernel<TypeSet::kNumeric>(ctx, [bias, lambd]<typename T>(T x) -> T {
      const double v = static_cast<double>(x);
      if (v < -lambd) return FromDouble<T>(v + bias);
      if (v > lambd) return FromDouble<T>(v - bias);
      return T(0);
    });
  });
  registry.Register("", "Gelu", [](KernelContext& ctx) {
    std::string approximate = ctx.node().GetString("approximate", "none");
    if (approximate == "none") return UnaryKernel<TypeSet::kFloat>(ctx, [](auto x) { return GeluErf(x); });
    if (approximate == "tanh") return UnaryKernel<TypeSet::kFloat>(ctx, [](auto x) { return GeluTanh(x); });
    return ctx.Error(absl::StrCat("approximate must be \"none\" or \"tanh\", got \"", approximate, "\""));
  });
  registry.Register("", "Clip", ClipKernel);
}

// ---- binary and variadic ----------------------------------------------------

// Python-style modulo: the result takes the divisor's sign (ONNX fmod=0).
template <typename T>
T FloorMod(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    T r = std::fmod(a, b);
    if (r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
    if (r == T(0)) r = std::copysign(T(0), b);
    return r;
  } else if constexpr (std::is_signed_v<T>) {
    if (b == 0) return 0;
    if (b == -1) return 0;  // also avoids MIN % -1
    T r = static_cast<T>(a % b);
    if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
    return r;
  } else {
    return b == 0 ? T(0) : static_cast<T>(a % b);
  }
}

// C-style remainder: the result takes the dividend's sign (ONNX fmod=1).
template <typename T>
T TruncMod(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::fmod(a, b);
  } else {
    if (b == 0) return 0;
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return 0;
    }
    return static_cast<T>(a % b);
  }
}

// Max and Min propagate NaN, as numpy's maximum/minimum do.
template <typename T>
T NanMax(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return a < b ? b : a;
}
template <typename T>
T NanMin(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return b < a ? b : a;
}

// BitShift. From opset 28 signed types shift arithmetically; shifts by a
// negative amount or by at least the bit width give the sign fill (0 or -1).
template <typename T>
T ShiftLeft(T x, T amount) {
  constexpr uint64_t kBits = sizeof(T) * 8;
  if constexpr (std::is_signed_v<T>) {
    if (amount < 0) return 0;
  }
  if (static_cast<uint64_t>(amount) >= kBits) return 0;
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(x) << static_cast<int>(amount)));
}
template <typename T>
T ShiftRight(T x, T amount) {
  constexpr uint64_t kBits = sizeof(T) * 8;
  if constexpr (std::is_signed_v<T>) {
    if (amount < 0 || static_cast<uint64_t>(amount) >= kBits) return x < 0 ? T(-1) : T(0);
  } else {
    if (amount >= kBits) return 0;
  }
  return static_cast<T>(x >> static_cast<int>(amount));  // arithmetic for signed (C++20)
}

// Sum, Max, Min, Mean: folds the inputs pairwise with broadcasting.
template <TypeSet kSet, typename Fn>
absl::Status VariadicKernel(KernelContext& ctx, const Fn& fn, bool mean) {
  const int n = ctx.num_inputs();
  if (n == 0 || ctx.input(0) == nullptr) return ctx.Error("expected at least one input");
  for (int i = 1; i < n; ++i) {
    if (ctx.input(i) == nullptr) return ctx.Error(absl::StrCat("input ", i, " is missing"));
    if (absl::Status s = CheckSameDType(ctx, *ctx.input(0), *ctx.input(i)); !s.ok()) return s;
  }
  const DType dtype = ctx.input(0)->dtype();
  if (!InTypeSet(kSet, dtype)) return UnsupportedType(ctx, dtype);
  auto fold = [&]<typename T>(auto load) -> absl::StatusOr<Tensor> {
    Tensor acc = load(*ctx.input(0));
    for (int i = 1; i < n; ++i) {
      Tensor next = load(*ctx.input(i));
      absl::StatusOr<Tensor> sum = BroadcastBinary<T, T, T>(ctx, acc, acc.dims(), next, next.dims(), acc.dtype(), fn);
      if (!sum.ok()) return sum.status();
      acc = *std::move(sum);
    }
    if constexpr (std::is_floating_point_v<T>) {
      if (mean) {
        Tensor scaled = Tensor::Zeros(acc.dtype(), acc.dims());
        const T count = static_cast<T>(n);
        MapElements<T, T>(acc, scaled, [count](T v) { return v / count; });
        acc = std::move(scaled);
      }
    }
    return acc;
  };
  absl::StatusOr<Tensor> out;
  if (IsHalf(dtype)) {
    out = fold.template operator()<float>([](const Tensor& t) { return ToFloat32(t); });
    if (out.ok()) out = FromFloat32(*out, dtype);
  } else {
    absl::Status status = DispatchNumeric(dtype, [&]<typename T>() -> absl::Status {
      if constexpr (InTypeSetV<kSet, T>()) {
        out = fold.template operator()<T>([](const Tensor& t) { return t; });
        return absl::OkStatus();
      } else {
        return UnsupportedType(ctx, dtype);
      }
    });
    if (!status.ok()) return status;
  }
  if (!out.ok()) return out.status();
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

// Integer power by squaring, wrapping on overflow; a negative exponent gives
// what truncating 1 / x^-e gives (0 unless |x| == 1).
template <typename T>
T IntPow(T base, int64_t exponent) {
  if (exponent < 0) {
    if (base == 1) return 1;
    if constexpr (std::is_signed_v<T>) {
      if (base == -1) return (exponent % 2 == 0) ? T(1) : T(-1);
    }
    return 0;
  }
  T result = 1;
  T b = base;
  uint64_t e = static_cast<uint64_t>(exponent);
  while (e != 0) {
    if (e & 1) result = WrapMul(result, b);
    b = WrapMul(b, b);
    e >>= 1;
  }
  return result;
}

Tensor CastTensorOrDie(const Tensor& t, DType to);

// Pow's exponent may have another dtype than the base (opset 12+). The base
// type decides the computation: floats use std::pow, integers raised to an
// integer use exact wrapping IntPow, integers raised to a float truncate.
absl::Status PowKernel(KernelContext& ctx) {
  absl::StatusOr<std::pair<const Tensor*, const Tensor*>> in = TwoInputs(ctx);
  if (!in.ok()) return in.status();
  const Tensor& base = *in->first;
  const Tensor& exponent = *in->second;
  const DType dtype = base.dtype();
  if (!InTypeSet(TypeSet::kNumeric, dtype)) return UnsupportedType(ctx, dtype);
  if (!InTypeSet(TypeSet::kNumeric, exponent.dtype())) return UnsupportedType(ctx, exponent.dtype());
  absl::StatusOr<std::vector<int64_t>> e_dims = AlignedSecondDims(ctx, base, exponent);
  if (!e_dims.ok()) return e_dims.status();

  const bool float_base = ir::IsFloatingPoint(dtype);
  // Common fast paths of normalisation layers: x^2, x^0.5, x^1 with a float base.
  if (float_base && exponent.num_elements() == 1 && ir::IsFloatingPoint(exponent.dtype())) {
    absl::StatusOr<std::vector<int64_t>> out_dims = BroadcastDims({base.dims(), *e_dims});
    if (!out_dims.ok()) return ctx.Error(out_dims.status().message());
    const double e = exponent.GetAsDouble(0);
    if (*out_dims == base.dims() && (e == 2.0 || e == 0.5 || e == 1.0)) {
      return UnaryKernel<TypeSet::kFloat>(ctx, [e]<typename T>(T x) -> T {
        if (e == 2.0) return x * x;
        if (e == 0.5) return std::sqrt(x);
        return x;
      });
    }
  }
  absl::StatusOr<Tensor> out;
  if (float_base) {
    Tensor b = ToFloat32(base);
    if (b.dtype() == DType::kFloat32 && exponent.dtype() == DType::kFloat32) {
      out = BroadcastBinary<float, float, float>(ctx, b, b.dims(), exponent, *e_dims, DType::kFloat32,
                                                 [](float x, float y) { return std::pow(x, y); });
    } else {
      Tensor e = CastTensorOrDie(exponent, DType::kFloat64);
      absl::Status status = DispatchFloat(b.dtype(), [&]<typename T>() -> absl::Status {
        out = BroadcastBinary<T, double, T>(ctx, b, b.dims(), e, *e_dims, b.dtype(), [](T x, double y) {
          return static_cast<T>(std::pow(static_cast<double>(x), y));
        });
        return absl::OkStatus();
      });
      if (!status.ok()) return status;
    }
    if (out.ok()) out = FromFloat32(*out, dtype);
  } else {
    const bool int_exponent = ir::IsInteger(exponent.dtype());
    Tensor e = CastTensorOrDie(exponent, int_exponent ? DType::kInt64 : DType::kFloat64);
    absl::Status status = DispatchNumeric(dtype, [&]<typename T>() -> absl::Status {
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (int_exponent) {
          out = BroadcastBinary<T, int64_t, T>(ctx, base, base.dims(), e, *e_dims, dtype,
                                               [](T x, int64_t y) { return IntPow(x, y); });
        } else {
          out = BroadcastBinary<T, double, T>(ctx, base, base.dims(), e, *e_dims, dtype, [](T x, double y) {
            return FloatToInt<T>(std::pow(static_cast<double>(x), y));
          });
        }
        return absl::OkStatus();
      } else {
        return UnsupportedType(ctx, dtype);
      }
    });
    if (!status.ok()) return status;
  }
  if (!out.ok()) return out.status();
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status EqualKernel(KernelContext& ctx) {
  absl::StatusOr<std::pair<const Tensor*, const Tensor*>> in = TwoInputs(ctx);
  if (!in.ok()) return in.status();
  const Tensor& a = *in->first;
  const Tensor& b = *in->second;
  if (a.dtype() != DType::kString) {
    return BinaryKernel<TypeSet::kNumericOrBool, /*kBoolOutput=*/true>(ctx, [](auto x, auto y) { return x == y; });
  }
  if (absl::Status s = CheckSameDType(ctx, a, b); !s.ok()) return s;
  absl::StatusOr<BroadcastPlan<2>> plan = PlanBroadcast<2>(ctx, {a.dims(), b.dims()});
  if (!plan.ok()) return plan.status();
  Tensor out = Tensor::Zeros(DType::kBool, plan->out_dims);
  bool* po = out.mutable_data<bool>();
  const std::vector<std::string>& sa = a.strings();
  const std::vector<std::string>& sb = b.strings();
  ForEachRun(*plan, [&](const std::array<int64_t, 2>& off, int64_t out_off) {
    for (int64_t i = 0; i < plan->inner; ++i) {
      po[out_off + i] = sa[static_cast<size_t>(off[0] + i * plan->inner_step[0])] ==
                        sb[static_cast<size_t>(off[1] + i * plan->inner_step[1])];
    }
  });
  ctx.set_output(0, std::move(out));
  return absl::OkStatus();
}

// Copies elements of `element_size` bytes by a 3-way broadcast (Where).
template <typename E>
void WhereRuns(const BroadcastPlan<3>& plan, const bool* cond, const E* x, const E* y, E* out) {
  const int64_t n = plan.inner;
  const int64_t sc = plan.inner_step[0], sx = plan.inner_step[1], sy = plan.inner_step[2];
  ForEachRun(plan, [&](const std::array<int64_t, 3>& off, int64_t out_off) {
    const bool* c = cond + off[0];
    const E* px = x + off[1];
    const E* py = y + off[2];
    E* po = out + out_off;
    for (int64_t i = 0; i < n; ++i) po[i] = c[i * sc] ? px[i * sx] : py[i * sy];
  });
}

absl::Status WhereKernel(KernelContext& ctx) {
  const Tensor* cond = ctx.input(0);
  const Tensor* x = ctx.input(1);
  const Tensor* y = ctx.input(2);
  if (cond == nullptr || x == nullptr || y == nullptr) return ctx.Error("expected three inputs");
  if (cond->dtype() != DType::kBool) {
    return ctx.Error(absl::StrCat("condition has type ", ir::DTypeName(cond->dtype()), ", expected bool"));
  }
  if (absl::Status s = CheckSameDType(ctx, *x, *y); !s.ok()) return s;
  absl::StatusOr<BroadcastPlan<3>> plan = PlanBroadcast<3>(ctx, {cond->dims(), x->dims(), y->dims()});
  if (!plan.ok()) return plan.status();
  const DType dtype = x->dtype();
  Tensor out = Tensor::Zeros(dtype, plan->out_dims);
  const bool* c = cond->data<bool>();
  if (dtype == DType::kString) {
    std::vector<std::string>& po = out.mutable_strings();
    const std::vector<std::string>& px = x->strings();
    const std::vector<std::string>& py = y->strings();
    ForEachRun(*plan, [&](const std::array<int64_t, 3>& off, int64_t out_off) {
      for (int64_t i = 0; i < plan->inner; ++i) {
        const bool pick_x = c[off[0] + i * plan->inner_step[0]];
        po[static_cast<size_t>(out_off + i)] = pick_x ? px[static_cast<size_t>(off[1] + i * plan->inner_step[1])]
                                                      : py[static_cast<size_t>(off[2] + i * plan->inner_step[2])];
      }
    });
    ctx.set_output(0, std::move(out));
    return absl::OkStatus();
  }
  // Where only moves elements, so any fixed-size type is handled by its width.
  struct Bytes16 {
    uint64_t lo, hi;
  };
  switch (ir::DTypeBits(dtype)) {
    case 8: WhereRuns(*plan, c, x->data<uint8_t>(), y->data<uint8_t>(), out.mutable_data<uint8_t>()); break;
    case 16: WhereRuns(*plan, c, x->data<uint16_t>(), y->data<uint16_t>(), out.mutable_data<uint16_t>()); break;
    case 32: WhereRuns(*plan, c, x->data<uint32_t>(), y->data<uint32_t>(), out.mutable_data<uint32_t>()); break;
    case 64: WhereRuns(*plan, c, x->data<uint64_t>(), y->data<uint64_t>(), out.mutable_data<uint64_t>()); break;
    case 128: WhereRuns(*plan, c, x->data<Bytes16>(), y->data<Bytes16>(), out.mutable_data<Bytes16>()); break;
    default: return UnsupportedType(ctx, dtype);
  }
  ctx.set_output(0, std::move(out));
  return absl::OkStatus();
}

void RegisterBinaryKernels(KernelRegistry& registry) {
  registry.Register("", "Add", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kNumeric>(ctx, [](auto a, auto b) { return WrapAdd(a, b); });
  });
  registry.Register("", "Sub", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kNumeric>(ctx, [](auto a, auto b) { return WrapSub(a, b); });
  });
  registry.Register("", "Mul", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kNumeric>(ctx, [](auto a, auto b) { return WrapMul(a, b); });
  });
  registry.Register("", "Div", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kNumeric>(ctx, [](auto a, auto b) { return SafeDiv(a, b); });
  });
  registry.Register("", "Pow", PowKernel);
  registry.Register("", "Mod", [](KernelContext& ctx) {
    const int64_t fmod = ctx.node().GetInt("fmod", 0);
    if (fmod != 0 && fmod != 1) return ctx.Error(absl::StrCat("fmod must be 0 or 1, got ", fmod));
    if (fmod == 1) return BinaryKernel<TypeSet::kNumeric>(ctx, [](auto a, auto b) { return TruncMod(a, b); });
    return BinaryKernel<TypeSet::kNumeric>(ctx, [](auto a, auto b) { return FloorMod(a, b); });
  });
  registry.Register("", "And", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kBool, true>(ctx, [](bool a, bool b) { return a && b; });
  });
  registry.Register("", "Or", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kBool, true>(ctx, [](bool a, bool b) { return a || b; });
  });
  registry.Register("", "Xor", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kBool, true>(ctx, [](bool a, bool b) { return a != b; });
  });
  registry.Register("", "Equal", EqualKernel);
  registry.Register("", "Less", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kNumeric, true>(ctx, [](auto a, auto b) { return a < b; });
  });
  registry.Register("", "Greater", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kNumeric, true>(ctx, [](auto a, auto b) { return a > b; });
  });
  registry.Register("", "LessOrEqual", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kNumeric, true>(ctx, [](auto a, auto b) { return a <= b; });
  });
  registry.Register("", "GreaterOrEqual", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kNumeric, true>(ctx, [](auto a, auto b) { return a >= b; });
  });
  registry.Register("", "BitShift", [](KernelContext& ctx) {
    const std::string direction = ctx.node().GetString("direction", "");
    if (direction == "LEFT") return BinaryKernel<TypeSet::kInteger>(ctx, [](auto a, auto b) { return ShiftLeft(a, b); });
    if (direction == "RIGHT") {
      return BinaryKernel<TypeSet::kInteger>(ctx, [](auto a, auto b) { return ShiftRight(a, b); });
    }
    return ctx.Error(absl::StrCat("direction must be \"LEFT\" or \"RIGHT\", got \"", direction, "\""));
  });
  registry.Register("", "BitwiseAnd", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kInteger>(ctx, []<typename T>(T a, T b) -> T { return static_cast<T>(a & b); });
  });
  registry.Register("", "BitwiseOr", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kInteger>(ctx, []<typename T>(T a, T b) -> T { return static_cast<T>(a | b); });
  });
  registry.Register("", "BitwiseXor", [](KernelContext& ctx) {
    return BinaryKernel<TypeSet::kInteger>(ctx, []<typename T>(T a, T b) -> T { return static_cast<T>(a ^ b); });
  });
  registry.Register("", "Max", [](KernelContext& ctx) {
    return VariadicKernel<TypeSet::kNumeric>(ctx, [](auto a, auto b) { return NanMax(a, b); }, false);
  });
  registry.Register("", "Min", [](KernelContext& ctx) {
    return VariadicKernel<TypeSet::kNumeric>(ctx, [](auto a, auto b) { return NanMin(a, b); }, false);
  });
  registry.Register("", "Sum", [](KernelContext& ctx) {
    return VariadicKernel<TypeSet::kFloat>(ctx, [](auto a, auto b) { return a + b; }, false);
  });
  registry.Register("", "Mean", [](KernelContext& ctx) {
    return VariadicKernel<TypeSet::kFloat>(ctx, [](auto a, auto b) { return a + b; }, true);
  });
  registry.Register("", "Where", WhereKernel);
}

// ---- Cast -------------------------------------------------------------------

// Rounds a double to float with round-to-odd, so that a second rounding to
// f16/bf16 (round to nearest even) gives the correctly rounded result rather
// than a double-rounded one.
float DoubleToFloatRoundToOdd(double d) {
  float f = static_cast<float>(d);
  if (!std::isfinite(f) || static_cast<double>(f) == d) return f;
  if (std::fabs(static_cast<double>(f)) > std::fabs(d)) f = std::nextafter(f, 0.0f);  // truncate
  return std::bit_cast<float>(std::bit_cast<uint32_t>(f) | 1u);
}

// Shortest scientific text ("-1.2345e-05") that reads back as the same
// value of type F.
template <typename F>
std::string ShortestScientific(F value) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  return std::string(buffer, result.ptr);
}

// The same for a 16-bit float held in `value`: the fewest digits that map back
// to the same encoding under `bits_of` (float -> f16 or bf16 bits).
std::string ShortestScientific16(float value, uint16_t (*bits_of)(float)) {
  const uint16_t target = bits_of(value);
  char buffer[64];
  for (int precision = 0; precision < 9; ++precision) {
    auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific, precision);
    std::string text(buffer, result.ptr);
    if (bits_of(std::strtof(text.c_str(), nullptr)) == target) return text;
  }
  return ShortestScientific(value);
}

// numpy's text of a float (what ONNX's reference Cast produces): the
// shortest round-tripping digits, positional for 1e-4 <= |x| < 1e16
// ("0.1", "100.0"), scientific otherwise ("1e-05", "1.5e+16"). Special
// values use the literals ONNX reads back ("NaN", "INF", "-INF").
std::string FormatFloat(double value, const std::string& sci) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "INF" : "-INF";
  size_t e_pos = sci.find('e');
  int exponent = std::atoi(sci.c_str() + e_pos + 1);
  std::string mantissa = sci.substr(0, e_pos);
  std::string sign;
  if (!mantissa.empty() && mantissa[0] == '-') {
    sign = "-";
    mantissa.erase(0, 1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const double magnitude = std::fabs(value);
  if (magnitude != 0 && (magnitude < 1e-4 || magnitude >= 1e16)) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp_text[16];
    std::snprintf(exp_text, sizeof(exp_text), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + exp_text;
  }
  std::string out;
  if (exponent < 0) {
    out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
    out = digits + std::string(static_cast<size_t>(exponent) + 1 - digits.size(), '0') + ".0";
  } else {
    out = digits.substr(0, static_cast<size_t>(exponent) + 1) + "." + digits.substr(static_cast<size_t>(exponent) + 1);
  }
  return sign + out;
}

// Element types Cast handles; Half/BFloat16 are the 16-bit float tags.
template <typename Fn>
absl::Status DispatchCastable(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat16: return fn.template operator()<Half>();
    case DType::kBFloat16: return fn.template operator()<BFloat16>();
    default: return DispatchNumeric(dtype, fn);
  }
}

template <typename Tag>
using StorageOf = std::conditional_t<std::is_same_v<Tag, Half> || std::is_same_v<Tag, BFloat16>, uint16_t, Tag>;

template <typename Tag>
constexpr bool kIsHalfTag = std::is_same_v<Tag, Half> || std::is_same_v<Tag, BFloat16>;

// Converts one element from type From to type To (either may be a half tag).
template <typename From, typename To>
StorageOf<To> CastElement(StorageOf<From> in) {
  if constexpr (kIsHalfTag<From>) {
    float f = std::is_same_v<From, Half> ? ir::HalfToFloat(in) : ir::BFloat16ToFloat(in);
    if constexpr (kIsHalfTag<To>) {
      return std::is_same_v<To, Half> ? ir::FloatToHalf(f) : ir::FloatToBFloat16(f);
    } else {
      return CastElement<float, To>(f);
    }
  } else if constexpr (kIsHalfTag<To>) {
    float f;
    if constexpr (std::is_same_v<From, float>) {
      f = in;
    } else {
      f = DoubleToFloatRoundToOdd(static_cast<double>(in));
    }
    return std::is_same_v<To, Half> ? ir::FloatToHalf(f) : ir::FloatToBFloat16(f);
  } else if constexpr (std::is_same_v<To, bool>) {
    return in != From(0);
  } else if constexpr (std::is_floating_point_v<To> || std::is_same_v<From, bool>) {
    return static_cast<To>(in);
  } else if constexpr (std::is_floating_point_v<From>) {
    return FloatToInt<To>(static_cast<double>(in));
  } else {
    return static_cast<To>(in);  // integer to integer keeps the low bits (modular since C++20)
  }
}

template <typename From>
std::string ElementToString(StorageOf<From> v) {
  if constexpr (std::is_same_v<From, Half>) {
    const float f = ir::HalfToFloat(v);
    return FormatFloat(f, ShortestScientific16(f, ir::FloatToHalf));
  } else if constexpr (std::is_same_v<From, BFloat16>) {
    const float f = ir::BFloat16ToFloat(v);
    return FormatFloat(f, ShortestScientific16(f, ir::FloatToBFloat16));
  } else if constexpr (std::is_floating_point_v<From>) {
    return FormatFloat(v, ShortestScientific(v));
  } else if constexpr (std::is_same_v<From, bool>) {
    return v ? "True" : "False";  // numpy's spelling, as ONNX's reference Cast writes
  } else {
    return std::to_string(v);
  }
}

// Parses a string for Cast: "True"/"False" as bool values, integers exactly
// when the text is an integer, otherwise through strtod (which also reads
// "NaN", "INF", "+INF", "-INF" case-insensitively).
template <typename To>
StorageOf<To> StringToElement(const std::string& text) {
  std::string s(absl::StripAsciiWhitespace(text));
  if (absl::EqualsIgnoreCase(s, "true")) return CastElement<bool, To>(true);
  if (absl::EqualsIgnoreCase(s, "false")) return CastElement<bool, To>(false);
  if constexpr (std::is_integral_v<To> && !std::is_same_v<To, bool>) {
    errno = 0;
    char* end = nullptr;
    if constexpr (std::is_signed_v<To>) {
      long long v = std::strtoll(s.c_str(), &end, 10);
      if (errno == 0 && end != s.c_str() && *end == '\0') return static_cast<To>(v);
    } else {
      if (!s.empty() && s[0] != '-') {
        unsigned long long v = std::strtoull(s.c_str(), &end, 10);
        if (errno == 0 && end != s.c_str() && *end == '\0') return static_cast<To>(v);
      }
    }
  }
  double v = std::strtod(s.c_str(), nullptr);
  return CastElement<double, To>(v);
}

absl::StatusOr<Tensor> CastTensor(const KernelContext* ctx, const Tensor& in, DType to, bool saturate = true);

// Casts to or from a float8 type through f32, as the ONNX reference does:
// float8 codes decode exactly to f32; anything else is first cast to f32 and
// then rounded to nearest even, out-of-range values saturating to the largest
// finite value or, with saturate=0, becoming infinity / NaN.
absl::StatusOr<Tensor> CastWithFloat8(const KernelContext* ctx, const Tensor& in, DType to, bool saturate) {
  const int64_t n = in.num_elements();
  Tensor wide = in;
  if (IsFloat8(in.dtype())) {
    const MiniFloatCodec& codec = MiniFloatCodecFor(in.dtype());
    wide = Tensor::Zeros(DType::kFloat32, in.dims());
    float* values = wide.mutable_data<float>();
    for (int64_t i = 0; i < n; ++i) values[i] = codec.Decode(in.data<uint8_t>()[i]);
    if (!IsFloat8(to)) return CastTensor(ctx, wide, to, saturate);
  } else {
    absl::StatusOr<Tensor> as_float = CastTensor(ctx, in, DType::kFloat32, saturate);
    if (!as_float.ok()) return as_float.status();
    wide = *std::move(as_float);
  }
  const MiniFloatCodec& codec = MiniFloatCodecFor(to);
  Tensor out = Tensor::Zeros(to, in.dims());
  uint8_t* codes = out.mutable_data<uint8_t>();
  const float* values = wide.data<float>();
  for (int64_t i = 0; i < n; ++i) codes[i] = codec.Encode(values[i], saturate);
  return out;
}

// Casts `in` to `to`; ctx (may be null) names the node in errors. `saturate`
// only matters for float8 targets (Cast's attribute from opset 19).
absl::StatusOr<Tensor> CastTensor(const KernelContext* ctx, const Tensor& in, DType to, bool saturate) {
  const DType from = in.dtype();
  if (from == to) return in;
  if (IsFloat8(from) || IsFloat8(to)) {
    const bool other_castable = IsFloat8(from) ? to != DType::kString : from != DType::kString;
    if (other_castable && (IsFloat8(from) || ir::IsFloatingPoint(from) || ir::IsInteger(from) || from == DType::kBool) &&
        (IsFloat8(to) || ir::IsFloatingPoint(to) || ir::IsInteger(to) || to == DType::kBool)) {
      return CastWithFloat8(ctx, in, to, saturate);
    }
  }
  auto castable = [](DType d) {
    return ir::IsFloatingPoint(d) || ir::IsInteger(d) || d == DType::kBool || d == DType::kString;
  };
  if (!castable(from) || !castable(to)) {
    std::string where = ctx != nullptr ? absl::StrCat("node ", ctx->node().Describe(), ": ") : "";
    return absl::UnimplementedError(absl::StrCat(where, "Cast from ", ir::DTypeName(from), " to ",
                                                 ir::DTypeName(to), " is not implemented"));
  }
  Tensor out = Tensor::Zeros(to, in.dims());
  const int64_t n = in.num_elements();
  absl::Status status;
  if (from == DType::kString) {
    const std::vector<std::string>& text = in.strings();
    status = DispatchCastable(to, [&]<typename To>() -> absl::Status {
      StorageOf<To>* o = out.mutable_data<StorageOf<To>>();
      for (int64_t i = 0; i < n; ++i) o[i] = StringToElement<To>(text[static_cast<size_t>(i)]);
      return absl::OkStatus();
    });
  } else {
    status = DispatchCastable(from, [&]<typename From>() -> absl::Status {
      const StorageOf<From>* x = in.data<StorageOf<From>>();
      if (to == DType::kString) {
        std::vector<std::string>& o = out.mutable_strings();
        for (int64_t i = 0; i < n; ++i) o[static_cast<size_t>(i)] = ElementToString<From>(x[i]);
        return absl::OkStatus();
      }
      return DispatchCastable(to, [&]<typename To>() -> absl::Status {
        StorageOf<To>* o = out.mutable_data<StorageOf<To>>();
        for (int64_t i = 0; i < n; ++i) o[i] = CastElement<From, To>(x[i]);
        return absl::OkStatus();
      });
    });
  }
  if (!status.ok()) return status;
  return out;
}

Tensor CastTensorOrDie(const Tensor& t, DType to) {
  absl::StatusOr<Tensor> out = CastTensor(nullptr, t, to);
  GSOPT_CHECK_OK(out.status());
  return *std::move(out);
}

absl::Status CastToKernel(KernelContext& ctx, DType to) {
  const Tensor* x = FirstInput(ctx);
  if (x == nullptr) return ctx.Error("input 0 is missing");
  const bool saturate = ctx.node().GetInt("saturate", 1) != 0;
  absl::StatusOr<Tensor> out = CastTensor(&ctx, *x, to, saturate);
  if (!out.ok()) return out.status();
  ctx.set_output(0, *std::move(out));
  return absl::OkStatus();
}

absl::Status CastKernel(KernelContext& ctx) {
  const ir::Attribute* to = ctx.node().FindAttribute("to");
  if (to == nullptr || !to->is<int64_t>()) return ctx.Error("attribute 'to' (an int) is required");
  const int64_t code = to->get<int64_t>();
  std::optional<DType> target = code > 0 && code < 1000 ? ir::DTypeFromOnnx(static_cast<int32_t>(code)) : std::nullopt;
  if (!target.has_value()) return ctx.Error(absl::StrCat("'to' = ", code, " is not a known data type"));
  return CastToKernel(ctx, *target);
}

absl::Status CastLikeKernel(KernelContext& ctx) {
  if (ctx.input(1) == nullptr) return ctx.Error("input 1 (target_type) is missing");
  return CastToKernel(ctx, ctx.input(1)->dtype());
}

// ---- pass-through -----------------------------------------------------------

absl::Status IdentityKernel(KernelContext& ctx) {
  const Tensor* x = FirstInput(ctx);
  if (x == nullptr) return ctx.Error("input 0 is missing");
  ctx.set_output(0, *x);  // shares the buffer; writers copy on write
  return absl::OkStatus();
}

// Dropout at inference: the output is the input and the mask is all "kept"
// (true; 1 in the data's type for opsets 7-9, which type the mask like the
// data — ONNX Runtime rejects models that declare it otherwise).
// Training mode with a non-zero ratio would need a random generator and is
// not implemented.
absl::Status DropoutKernel(KernelContext& ctx) {
  const Tensor* x = FirstInput(ctx);
  if (x == nullptr) return ctx.Error("input 0 is missing");
  bool training = false;
  double ratio = ctx.node().GetFloat("ratio", 0.5f);
  if (ctx.opset() <= 0 || ctx.opset() >= 12) {
    ratio = 0.5;
    if (const Tensor* r = ctx.input(1); r != nullptr) {
      if (r->num_elements() != 1 || !ir::IsFloatingPoint(r->dtype())) return ctx.Error("ratio must be a float scalar");
      ratio = r->GetAsDouble(0);
    }
    if (const Tensor* t = ctx.input(2); t != nullptr) {
      if (t->num_elements() != 1 || t->dtype() != DType::kBool) return ctx.Error("training_mode must be a bool scalar");
      training = t->GetAsInt64(0) != 0;
    }
  }
  if (training && ratio != 0) {
    return absl::UnimplementedError(
        absl::StrCat("node ", ctx.node().Describe(), ": Dropout in training mode is not implemented"));
  }
  ctx.set_output(0, *x);
  if (ctx.output_requested(1)) {
    if (ctx.opset() > 0 && ctx.opset() < 10) {
      Tensor mask = Tensor::Zeros(x->dtype(), x->dims());
      for (int64_t i = 0; i < mask.num_elements(); ++i) mask.SetFromDouble(i, 1.0);
      ctx.set_output(1, std::move(mask));
    } else {
      Tensor mask = Tensor::Zeros(DType::kBool, x->dims());
      std::fill_n(mask.mutable_data<uint8_t>(), mask.num_elements(), uint8_t{1});
      ctx.set_output(1, std::move(mask));
    }
  }
  return absl::OkStatus();
}

// ---- com.microsoft ----------------------------------------------------------

// FastGelu(X, bias?) (tanh approximation) and BiasGelu(A, B) (exact):
// the activation of the input plus a broadcast bias.
template <typename Act>
absl::Status BiasedActivationKernel(KernelContext& ctx, const Act& act) {
  if (ctx.input(1) == nullptr) return UnaryKernel<TypeSet::kFloat>(ctx, act);
  return BinaryKernel<TypeSet::kFloat>(ctx, [&act]<typename T>(T x, T bias) -> T {
    if constexpr (std::is_floating_point_v<T>) return act(x + bias);
    else return T(0);  // unreachable: kFloat admits no integers
  });
}

void RegisterContribKernels(KernelRegistry& registry) {
  const std::string kMs = "com.microsoft";
  registry.Register(kMs, "Gelu",
                    [](KernelContext& ctx) { return UnaryKernel<TypeSet::kFloat>(ctx, [](auto x) { return GeluErf(x); }); });
  registry.Register(kMs, "FastGelu", [](KernelContext& ctx) {
    return BiasedActivationKernel(ctx, [](auto x) { return GeluTanh(x); });
  });
  registry.Register(kMs, "BiasGelu", [](KernelContext& ctx) {
    if (ctx.input(1) == nullptr) return ctx.Error("input 1 (bias) is missing");
    return BiasedActivationKernel(ctx, [](auto x) { return GeluErf(x); });
  });
  registry.Register(kMs, "QuickGelu", [](KernelContext& ctx) {
    const double alpha = ctx.node().GetFloat("alpha", 1.702f);
    return UnaryKernel<TypeSet::kFloat>(ctx, [alpha]<typename T>(T x) -> T { return x * Sigmoid(T(alpha) * x); });
  });
}

}  // namespace

void RegisterElementwiseKernels(KernelRegistry& registry) {
  RegisterUnaryMathKernels(registry);
  RegisterActivationKernels(registry);
  RegisterBinaryKernels(registry);
  registry.Register("", "Cast", CastKernel);
  registry.Register("", "CastLike", CastLikeKernel);
  registry.Register("", "Identity", IdentityKernel);
  registry.Register("", "Dropout", DropoutKernel);
  RegisterContribKernels(registry);
}

}  // namespace gsopt::backend::cpu
