// CPU kernels for the reduction op family: ReduceSum, ReduceMean, ReduceMax,
// ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp,
// ReduceSumSquare, ArgMax and ArgMin.
//
// Every Reduce* kernel goes through one ReductionPlan: the input dims are
// collapsed into alternating runs of kept and reduced axes, and the innermost
// run decides the loop. When the innermost axes are reduced (LayerNorm's
// mean and variance) each output is a contiguous row summed with independent
// accumulators; when they are kept, whole rows of outputs are accumulated at
// once so the inner loop is again contiguous. Floats accumulate in double and
// integers in 64 bits (wrapping like numpy); the loop order is fixed, so
// results are deterministic, and double sums make it matter little. Reducing an empty set gives the op's identity (0 for sums, 1
// for products, -inf / the lowest value for max, ...), as ONNX defines.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_utils.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;

// ---------------------------------------------------------------------------
// Which axes are reduced.

// Reads the reduced axes of a Reduce* node for the opset in force: the `axes`
// attribute before `axes_input_since`, input 1 from then on. An empty list
// reduces every axis, or none with noop_with_empty_axes.
absl::StatusOr<std::vector<bool>> ReducedAxes(const KernelContext& ctx, int64_t rank,
                                              int64_t axes_input_since) {
  std::vector<int64_t> axes;
  bool noop_with_empty_axes = false;
  if (ctx.opset() >= axes_input_since) {
    noop_with_empty_axes = ctx.node().GetInt("noop_with_empty_axes", 0) != 0;
    if (const Tensor* axes_input = ctx.input(1); axes_input != nullptr) {
      if (!ir::IsInteger(axes_input->dtype())) {
        return ctx.Error(absl::StrCat("axes input has type ", ir::DTypeName(axes_input->dtype()),
                                      ", expected i64"));
      }
      axes = ToInt64s(*axes_input);
    }
  } else {
    axes = ctx.node().GetInts("axes");
  }
  std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty() && !noop_with_empty_axes);
  for (int64_t axis : axes) {
    absl::StatusOr<int64_t> normalized = NormalizeAxis(ctx, axis, rank);
    if (!normalized.ok()) return normalized.status();
    if (reduced[static_cast<size_t>(*normalized)]) {
      return ctx.Error(absl::StrCat("axis ", axis, " is listed more than once"));
    }
    reduced[static_cast<size_t>(*normalized)] = true;
  }
  return reduced;
}

std::vector<int64_t> ReducedDims(const std::vector<int64_t>& dims, const std::vector<bool>& reduced,
                                 bool keepdims) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (!reduced[i]) {
      out.push_back(dims[i]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The loop structure of a reduction.

struct AxisRun {
  int64_t size;
  int64_t stride;
  bool reduced;
};

// Input offsets of every index combination of `runs`, row-major.
std::vector<int64_t> RunOffsets(const std::vector<AxisRun>& runs) {
  std::vector<int64_t> offsets = {0};
  for (const AxisRun& run : runs) {
    std::vector<int64_t> next;
    next.reserve(offsets.size() * static_cast<size_t>(run.size));
    for (int64_t base : offsets) {
      for (int64_t i = 0; i < run.size; ++i) next.push_back(base + i * run.stride);
    }
    offsets = std::move(next);
  }
  return offsets;
}

// How to visit the input of a reduction. With `inner_reduced`, output o
// reduces, for each offset in `offsets`, the `inner` contiguous elements
// starting at bases[o] + offset. Otherwise outputs come in rows of `inner`
// consecutive elements: row r adds, for each offset, the `inner` contiguous
// elements at bases[r] + offset into its outputs.
struct ReductionPlan {
  int64_t num_outputs = 0;
  int64_t group_size = 0;  // input elements reduced into each output
  bool inner_reduced = true;
  int64_t inner = 1;
  std::vector<int64_t> bases;
  std::vector<int64_t> offsets;
};

ReductionPlan MakeReductionPlan(const std::vector<int64_t>& dims, const std::vector<bool>& reduced) {
  ReductionPlan plan;
  plan.num_outputs = 1;
  plan.group_size = 1;
  for (size_t i = 0; i < dims.size(); ++i) (reduced[i] ? plan.group_size : plan.num_outputs) *= dims[i];
  if (plan.num_outputs == 0 || plan.group_size == 0) return plan;

  // Runs of adjacent axes with the same role; axes of size 1 belong to no run.
  std::vector<AxisRun> runs;  // innermost first while building
  int64_t stride = 1;
  for (size_t i = dims.size(); i-- > 0;) {
    if (dims[i] != 1) {
      if (!runs.empty() && runs.back().reduced == reduced[i]) {
        runs.back().size *= dims[i];
      } else {
        runs.push_back(AxisRun{dims[i], stride, reduced[i]});
      }
    }
    stride *= dims[i];
  }
  std::reverse(runs.begin(), runs.end());
  if (runs.empty()) {  // a single element
    plan.bases = {0};
    plan.offsets = {0};
    return plan;
  }
  const AxisRun innermost = runs.back();
  runs.pop_back();
  std::vector<AxisRun> kept_runs, reduced_runs;
  for (const AxisRun& run : runs) (run.reduced ? reduced_runs : kept_runs).push_back(run);
  plan.inner_reduced = innermost.reduced;
  plan.inner = innermost.size;
  plan.bases = RunOffsets(kept_runs);
  plan.offsets = RunOffsets(reduced_runs);
  return plan;
}

// Calls visit(output_index, input_index) for every input element.
template <typename Visit>
void VisitReduction(const ReductionPlan& plan, Visit visit) {
  if (plan.inner_reduced) {
    for (size_t o = 0; o < plan.bases.size(); ++o) {
      for (int64_t offset : plan.offsets) {
        const int64_t start = plan.bases[o] + offset;
        for (int64_t i = 0; i < plan.inner; ++i) visit(static_cast<int64_t>(o), start + i);
      }
    }
    return;
  }
  for (size_t r = 0; r < plan.bases.size(); ++r) {
    const int64_t first_output = static_cast<int64_t>(r) * plan.inner;
    for (int64_t offset : plan.offsets) {
      const int64_t start = plan.bases[r] + offset;
      for (int64_t b = 0; b < plan.inner; ++b) visit(first_output + b, start + b);
    }
  }
}

// ---------------------------------------------------------------------------
// Reduction operations. Each has an accumulator type, an identity, a step
// that folds in one input element, a merge of two partial results and a
// finish that turns the accumulator and the group size into the output.

// Floats accumulate in double; integers in uint64_t, whose wrap-around is
// defined and, cast back to T, gives the same bits as numpy's wrapping sum.
template <typename T>
using WideAccumulator = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;

template <typename T>
WideAccumulator<T> Widen(T x) {
  return static_cast<WideAccumulator<T>>(x);
}

// The accumulated value as a number: integer sums of a signed T are read back
// as two's complement.
template <typename T>
double AccumulatorValue(WideAccumulator<T> a) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) return static_cast<double>(static_cast<int64_t>(a));
  return static_cast<double>(a);
}

// Converts a double result to T: for integers NaN becomes 0 and out-of-range
// values saturate, instead of the undefined behaviour of a plain cast.
template <typename T>
T FromDouble(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return T{0};
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  }
}

// Contiguous rows of floats are folded in kLanes independent double lanes, a
// loop the compiler turns into SIMD code. Elements are widened before the
// transform (square, abs) is applied, as in the element-at-a-time Step.
constexpr int kLanes = 16;

template <typename T, typename Transform>
double SumLanes(const T* x, int64_t n, Transform f) {
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] += f(static_cast<double>(x[i + l]));
  }
  double total = 0.0;
  for (int l = 0; l < kLanes; ++l) total += lanes[l];
  for (; i < n; ++i) total += f(static_cast<double>(x[i]));
  return total;
}

// The largest (kMax) or smallest element, NaN if any element is NaN. The
// vector loop cannot keep a NaN (compare-and-select drops it), so it sums
// v * 0 alongside, which is NaN exactly when some v is NaN or infinite; only
// then is the row scanned again one element at a time.
template <typename T, bool kMax>
T ExtremeLanes(const T* x, int64_t n, T identity) {
  T lanes[kLanes];
  T probe[kLanes] = {};
  std::fill(lanes, lanes + kLanes, identity);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const T v = x[i + l];
      lanes[l] = kMax ? (v > lanes[l] ? v : lanes[l]) : (v < lanes[l] ? v : lanes[l]);
      probe[l] += v * T{0};
    }
  }
  T result = identity;
  T probe_sum = T{0};
  for (int l = 0; l < kLanes; ++l) {
    result = kMax ? std::max(result, lanes[l]) : std::min(result, lanes[l]);
    probe_sum += probe[l];
  }
  if (std::isnan(probe_sum)) {  // a NaN or an infinity somewhere: decide exactly
    for (int64_t j = 0; j < i; ++j) {
      if (std::isnan(x[j])) return x[j];
    }
  }
  for (; i < n; ++i) {
    const T v = x[i];
    if (std::isnan(v)) return v;
    result = kMax ? (v > result ? v : result) : (v < result ? v : result);
  }
  return result;
}

template <typename T>
T Unchanged(T v) {
  return v;
}
template <typename T>
T Square(T v) {
  return v * v;
}
template <typename T>
T Absolute(T v) {
  return v < 0 ? -v : v;
}

template <typename T>
struct SumOp {
  using Acc = WideAccumulator<T>;
  static constexpr bool kHasLanes = std::is_floating_point_v<T>;
  static Acc Lanes(const T* x, int64_t n) { return SumLanes(x, n, Unchanged<double>); }
  static Acc Identity() { return Acc{0}; }
  static Acc Step(Acc a, T x) { return a + Widen(x); }
  static Acc Merge(Acc a, Acc b) { return a + b; }
  static T Finish(Acc a, int64_t) { return static_cast<T>(a); }
};

template <typename T>
struct MeanOp : SumOp<T> {
  using Acc = WideAccumulator<T>;
  static T Finish(Acc a, int64_t n) {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(a / static_cast<double>(n));  // 0/0 is NaN, numpy's mean of nothing
    } else if constexpr (std::is_signed_v<T>) {
      // numpy's integer mean is the quotient truncated toward zero.
      return n == 0 ? T{0} : static_cast<T>(static_cast<int64_t>(a) / n);
    } else {
      return n == 0 ? T{0} : static_cast<T>(a / static_cast<uint64_t>(n));
    }
  }
};

template <typename T>
struct SumSquareOp {
  using Acc = WideAccumulator<T>;
  static constexpr bool kHasLanes = std::is_floating_point_v<T>;
  static Acc Lanes(const T* x, int64_t n) { return SumLanes(x, n, Square<double>); }
  static Acc Identity() { return Acc{0}; }
  static Acc Step(Acc a, T x) { return a + Widen(x) * Widen(x); }
  static Acc Merge(Acc a, Acc b) { return a + b; }
  static T Finish(Acc a, int64_t) { return static_cast<T>(a); }
};

template <typename T>
struct L1Op {
  using Acc = WideAccumulator<T>;
  static constexpr bool kHasLanes = std::is_floating_point_v<T>;
  static Acc Lanes(const T* x, int64_t n) { return SumLanes(x, n, Absolute<double>); }
  static Acc Identity() { return Acc{0}; }
  static Acc Step(Acc a, T x) {
    if constexpr (std::is_signed_v<T>) return a + (x < 0 ? Acc{0} - Widen(x) : Widen(x));
    return a + Widen(x);
  }
  static Acc Merge(Acc a, Acc b) { return a + b; }
  static T Finish(Acc a, int64_t) { return static_cast<T>(a); }
};

template <typename T>
struct L2Op : SumSquareOp<T> {
  using Acc = WideAccumulator<T>;
  static T Finish(Acc a, int64_t) { return FromDouble<T>(std::sqrt(AccumulatorValue<T>(a))); }
};

template <typename T>
struct LogSumOp : SumOp<T> {
  using Acc = WideAccumulator<T>;
  static T Finish(Acc a, int64_t) { return FromDouble<T>(std::log(AccumulatorValue<T>(a))); }
};

template <typename T>
struct ProdOp {
  using Acc = WideAccumulator<T>;
  static constexpr bool kHasLanes = false;
  static Acc Lanes(const T*, int64_t) { return Identity(); }
  static Acc Identity() { return Acc{1}; }
  static Acc Step(Acc a, T x) { return a * Widen(x); }
  static Acc Merge(Acc a, Acc b) { return a * b; }
  static T Finish(Acc a, int64_t) { return static_cast<T>(a); }
};

// Max and Min propagate NaN, as numpy's max/min (the ONNX reference) do.
template <typename T>
struct MaxOp {
  using Acc = T;
  static constexpr bool kHasLanes = std::is_floating_point_v<T>;
  static Acc Lanes(const T* x, int64_t n) { return ExtremeLanes<T, true>(x, n, Identity()); }
  static Acc Identity() {
    if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::lowest();
  }
  static Acc Step(Acc a, T x) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x)) return x;
    }
    return x > a ? x : a;
  }
  static Acc Merge(Acc a, Acc b) { return Step(a, b); }
  static T Finish(Acc a, int64_t) { return a; }
};

template <typename T>
struct MinOp {
  using Acc = T;
  static constexpr bool kHasLanes = std::is_floating_point_v<T>;
  static Acc Lanes(const T* x, int64_t n) { return ExtremeLanes<T, false>(x, n, Identity()); }
  static Acc Identity() {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::max();
  }
  static Acc Step(Acc a, T x) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x)) return x;
    }
    return x < a ? x : a;
  }
  static Acc Merge(Acc a, Acc b) { return Step(a, b); }
  static T Finish(Acc a, int64_t) { return a; }
};

// Folds a contiguous row with four independent accumulators, so the adds of
// a long row overlap instead of waiting on each other.
template <typename T, typename Op>
typename Op::Acc ReduceContiguous(const T* x, int64_t n) {
  using Acc = typename Op::Acc;
  if constexpr (Op::kHasLanes) return Op::Lanes(x, n);
  Acc a0 = Op::Identity(), a1 = Op::Identity(), a2 = Op::Identity(), a3 = Op::Identity();
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 = Op::Step(a0, x[i]);
    a1 = Op::Step(a1, x[i + 1]);
    a2 = Op::Step(a2, x[i + 2]);
    a3 = Op::Step(a3, x[i + 3]);
  }
  for (; i < n; ++i) a0 = Op::Step(a0, x[i]);
  return Op::Merge(Op::Merge(a0, a1), Op::Merge(a2, a3));
}

template <typename T, typename Op>
void RunReduction(const T* x, const ReductionPlan& plan, T* out) {
  using Acc = typename Op::Acc;
  if (plan.group_size == 0) {
    std::fill(out, out + plan.num_outputs, Op::Finish(Op::Identity(), 0));
    return;
  }
  if (plan.num_outputs == 0) return;
  if (plan.inner_reduced) {
    for (size_t o = 0; o < plan.bases.size(); ++o) {
      Acc acc = Op::Identity();
      for (int64_t offset : plan.offsets) {
        acc = Op::Merge(acc, ReduceContiguous<T, Op>(x + plan.bases[o] + offset, plan.inner));
      }
      out[o] = Op::Finish(acc, plan.group_size);
    }
    return;
  }
  std::vector<Acc> row(static_cast<size_t>(plan.inner));
  for (size_t r = 0; r < plan.bases.size(); ++r) {
    std::fill(row.begin(), row.end(), Op::Identity());
    for (int64_t offset : plan.offsets) {
      const T* in = x + plan.bases[r] + offset;
      for (int64_t b = 0; b < plan.inner; ++b) row[b] = Op::Step(row[b], in[b]);
    }
    T* o = out + static_cast<int64_t>(r) * plan.inner;
    for (int64_t b = 0; b < plan.inner; ++b) o[b] = Op::Finish(row[b], plan.group_size);
  }
}

// log(sum(exp(x))) without overflow: shifted by the largest finite element of
// each group (0 when there is none, so that all -inf gives -inf and any +inf
// gives +inf).
template <typename T>
void RunLogSumExp(const T* x, const ReductionPlan& plan, T* out) {
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (plan.group_size == 0) {
    std::fill(out, out + plan.num_outputs, FromDouble<T>(neg_inf));
    return;
  }
  std::vector<double> shift(static_cast<size_t>(plan.num_outputs), neg_inf);
  VisitReduction(plan, [&](int64_t o, int64_t i) {
    const double v = static_cast<double>(x[i]);
    if (std::isfinite(v) && v > shift[o]) shift[o] = v;
  });
  for (double& s : shift) s = std::isfinite(s) ? s : 0.0;
  std::vector<double> sum(static_cast<size_t>(plan.num_outputs), 0.0);
  VisitReduction(plan, [&](int64_t o, int64_t i) { sum[o] += std::exp(static_cast<double>(x[i]) - shift[o]); });
  for (int64_t o = 0; o < plan.num_outputs; ++o) out[o] = FromDouble<T>(std::log(sum[o]) + shift[o]);
}

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

template <typename T>
void Reduce(ReduceKind kind, const T* x, const ReductionPlan& plan, T* out) {
  switch (kind) {
    case ReduceKind::kSum: return RunReduction<T, SumOp<T>>(x, plan, out);
    case ReduceKind::kMean: return RunReduction<T, MeanOp<T>>(x, plan, out);
    case ReduceKind::kMax: return RunReduction<T, MaxOp<T>>(x, plan, out);
    case ReduceKind::kMin: return RunReduction<T, MinOp<T>>(x, plan, out);
    case ReduceKind::kProd: return RunReduction<T, ProdOp<T>>(x, plan, out);
    case ReduceKind::kL1: return RunReduction<T, L1Op<T>>(x, plan, out);
    case ReduceKind::kL2: return RunReduction<T, L2Op<T>>(x, plan, out);
    case ReduceKind::kLogSum: return RunReduction<T, LogSumOp<T>>(x, plan, out);
    case ReduceKind::kLogSumExp: return RunLogSumExp<T>(x, plan, out);
    case ReduceKind::kSumSquare: return RunReduction<T, SumSquareOp<T>>(x, plan, out);
  }
}

KernelFn MakeReduceKernel(ReduceKind kind, int64_t axes_input_since) {
  return [kind, axes_input_since](KernelContext& ctx) -> absl::Status {
    const Tensor* data = ctx.input(0);
    if (data == nullptr) return ctx.Error("missing input 'data'");
    absl::StatusOr<std::vector<bool>> reduced = ReducedAxes(ctx, data->rank(), axes_input_since);
    if (!reduced.ok()) return reduced.status();
    const bool keepdims = ctx.node().GetInt("keepdims", 1) != 0;
    const std::vector<int64_t> out_dims = ReducedDims(data->dims(), *reduced, keepdims);
    const ReductionPlan plan = MakeReductionPlan(data->dims(), *reduced);

    const DType dtype = data->dtype();
    if (dtype == DType::kBool && kind != ReduceKind::kMax && kind != ReduceKind::kMin) {
      return ctx.Error("bool input is only supported by ReduceMax and ReduceMin");
    }
    const bool half = dtype == DType::kFloat16 || dtype == DType::kBFloat16;
    const Tensor input = half ? ToFloat32(*data) : *data;
    Tensor output = Tensor::Zeros(input.dtype(), out_dims);
    absl::Status status = DispatchNumeric(input.dtype(), [&]<typename T>() -> absl::Status {
      if constexpr (std::is_same_v<T, bool>) {
        // Bools are bytes 0/1: max is "any" and min is "all"; only the empty
        // min (identity 255) needs folding back to true.
        uint8_t* out = output.mutable_data<uint8_t>();
        Reduce<uint8_t>(kind, input.data<uint8_t>(), plan, out);
        for (int64_t i = 0; i < output.num_elements(); ++i) out[i] = out[i] != 0;
      } else {
        Reduce<T>(kind, input.data<T>(), plan, output.mutable_data<T>());
      }
      return absl::OkStatus();
    });
    if (!status.ok()) return ctx.Error(status.message());
    ctx.set_output(0, half ? FromFloat32(output, dtype) : std::move(output));
    return absl::OkStatus();
  };
}

// ---------------------------------------------------------------------------
// ArgMax / ArgMin.

// Whether `x` at a later index replaces `best`. NaN wins, as in numpy (the
// first NaN, or the last with select_last_index).
template <typename T, bool kMax, bool kLast>
bool Replaces(T x, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(best)) return kLast && std::isnan(x);
    if (std::isnan(x)) return true;
  }
  if constexpr (kLast) {
    return kMax ? x >= best : x <= best;
  } else {
    return kMax ? x > best : x < best;
  }
}

template <typename T, bool kMax, bool kLast>
void ArgReduce(const T* x, int64_t outer, int64_t n, int64_t inner, int64_t* out) {
  std::vector<T> best(static_cast<size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    const T* block = x + o * n * inner;
    int64_t* index = out + o * inner;
    std::copy(block, block + inner, best.begin());
    std::fill(index, index + inner, 0);
    for (int64_t k = 1; k < n; ++k) {
      const T* row = block + k * inner;
      for (int64_t i = 0; i < inner; ++i) {
        if (Replaces<T, kMax, kLast>(row[i], best[i])) {
          best[i] = row[i];
          index[i] = k;
        }
      }
    }
  }
}

KernelFn MakeArgReduceKernel(bool is_max) {
  return [is_max](KernelContext& ctx) -> absl::Status {
    const Tensor* data = ctx.input(0);
    if (data == nullptr) return ctx.Error("missing input 'data'");
    absl::StatusOr<int64_t> axis = NormalizeAxis(ctx, ctx.node().GetInt("axis", 0), data->rank());
    if (!axis.ok()) return axis.status();
    const bool keepdims = ctx.node().GetInt("keepdims", 1) != 0;
    const bool last = ctx.opset() >= 12 && ctx.node().GetInt("select_last_index", 0) != 0;
    std::vector<bool> reduced(static_cast<size_t>(data->rank()), false);
    reduced[static_cast<size_t>(*axis)] = true;
    Tensor output = Tensor::Zeros(DType::kInt64, ReducedDims(data->dims(), reduced, keepdims));
    if (output.num_elements() == 0) {
      ctx.set_output(0, std::move(output));
      return absl::OkStatus();
    }
    const int64_t n = data->dim(*axis);
    if (n == 0) return ctx.Error(absl::StrCat("cannot take the index of an extreme over empty axis ", *axis));
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < *axis; ++i) outer *= data->dim(i);
    for (int64_t i = *axis + 1; i < data->rank(); ++i) inner *= data->dim(i);

    const Tensor input = ToFloat32(*data);
    int64_t* out = output.mutable_data<int64_t>();
    absl::Status status = DispatchNumeric(input.dtype(), [&]<typename T>() -> absl::Status {
      if constexpr (std::is_same_v<T, bool>) {
        return absl::UnimplementedError("bool input is not supported");
      } else {
        const T* x = input.data<T>();
        if (is_max) {
          last ? ArgReduce<T, true, true>(x, outer, n, inner, out) : ArgReduce<T, true, false>(x, outer, n, inner, out);
        } else {
          last ? ArgReduce<T, false, true>(x, outer, n, inner, out)
               : ArgReduce<T, false, false>(x, outer, n, inner, out);
        }
        return absl::OkStatus();
      }
    });
    if (!status.ok()) return ctx.Error(status.message());
    ctx.set_output(0, std::move(output));
    return absl::OkStatus();
  };
}

}  // namespace

void RegisterReductionKernels(KernelRegistry& registry) {
  struct Entry {
    const char* name;
    ReduceKind kind;
    int64_t axes_input_since;
  };
  const Entry entries[] = {
      {"ReduceSum", ReduceKind::kSum, 13},
      {"ReduceMean", ReduceKind::kMean, 18},
      {"ReduceMax", ReduceKind::kMax, 18},
      {"ReduceMin", ReduceKind::kMin, 18},
      {"ReduceProd", ReduceKind::kProd, 18},
      {"ReduceL1", ReduceKind::kL1, 18},
      {"ReduceL2", ReduceKind::kL2, 18},
      {"ReduceLogSum", ReduceKind::kLogSum, 18},
      {"ReduceLogSumExp", ReduceKind::kLogSumExp, 18},
      {"ReduceSumSquare", ReduceKind::kSumSquare, 18},
  };
  for (const Entry& e : entries) registry.Register("", e.name, MakeReduceKernel(e.kind, e.axes_input_since));
  registry.Register("", "ArgMax", MakeArgReduceKernel(true));
  registry.Register("", "ArgMin", MakeArgReduceKernel(false));
}

}  // namespace gsopt::backend::cpu
