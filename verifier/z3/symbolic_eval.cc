// Element-wise symbolic kernels over Z3 Real terms, the axiom-term
// interpreter and the graph interpreter built on them.
#include "verifier/z3/symbolic_eval.h"

#include <cmath>
#include <numeric>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gsopt::verifier::z3prover {
namespace {

int64_t Product(const std::vector<int64_t>& dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t{1}, std::multiplies<int64_t>());
}

std::vector<int64_t> RowMajorStrides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (int64_t i = static_cast<int64_t>(dims.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

std::vector<int64_t> Unravel(int64_t flat, const std::vector<int64_t>& dims) {
  std::vector<int64_t> index(dims.size());
  for (int64_t i = static_cast<int64_t>(dims.size()) - 1; i >= 0; --i) {
    index[i] = dims[i] == 0 ? 0 : flat % dims[i];
    flat = dims[i] == 0 ? 0 : flat / dims[i];
  }
  return index;
}

absl::Status ShapeError(absl::string_view op, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(op, ": ", message));
}

absl::StatusOr<int64_t> NormalizeAxis(int64_t axis, int64_t rank, absl::string_view op) {
  if (axis < -rank || axis >= rank) return ShapeError(op, absl::StrCat("axis ", axis, " out of range for rank ", rank));
  return axis < 0 ? axis + rank : axis;
}

// Sum of terms, as one n-ary Z3 addition (0 when empty).
z3::expr Sum(z3::context& ctx, const z3::expr_vector& terms) {
  if (terms.empty()) return ctx.real_val(0);
  if (terms.size() == 1) return terms[0];
  return z3::sum(terms);
}

// Decimal digits of 2^k, for exact binary fractions.
std::string PowerOfTwoDecimal(int k) {
  std::vector<int> digits{1};  // little-endian
  for (int i = 0; i < k; ++i) {
    int carry = 0;
    for (int& digit : digits) {
      int value = digit * 2 + carry;
      digit = value % 10;
      carry = value / 10;
    }
    if (carry) digits.push_back(carry);
  }
  std::string text;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) text.push_back(static_cast<char>('0' + *it));
  return text;
}

}  // namespace

int64_t SymTensor::num_elements() const { return Product(dims); }

std::string DimsToString(const std::vector<int64_t>& dims) { return absl::StrCat("[", absl::StrJoin(dims, ", "), "]"); }

SymbolicEvaluator::SymbolicEvaluator(z3::context& ctx)
    : ctx_(ctx),
      sigmoid_(ctx.function("sigmoid", ctx.real_sort(), ctx.real_sort())),
      tanh_(ctx.function("tanh", ctx.real_sort(), ctx.real_sort())),
      erf_(ctx.function("erf", ctx.real_sort(), ctx.real_sort())),
      sqrt_(ctx.function("sqrt", ctx.real_sort(), ctx.real_sort())) {}

SymTensor SymbolicEvaluator::Fresh(const std::string& name, const std::vector<int64_t>& dims) {
  SymTensor tensor;
  tensor.dims = dims;
  int64_t count = Product(dims);
  for (int64_t i = 0; i < count; ++i) {
    tensor.elements.push_back(ctx_.real_const(absl::StrCat(name, "[", i, "]").c_str()));
  }
  return tensor;
}

z3::expr SymbolicEvaluator::RealFromDouble(double value) {
  if (!std::isfinite(value)) return ctx_.real_const("non_finite_constant");
  int exponent = 0;
  double mantissa = std::frexp(value, &exponent);  // value = mantissa * 2^exponent, |mantissa| in [0.5, 1)
  auto integer_mantissa = static_cast<int64_t>(std::ldexp(mantissa, 53));
  exponent -= 53;
  while (integer_mantissa != 0 && integer_mantissa % 2 == 0 && exponent < 0) {
    integer_mantissa /= 2;
    ++exponent;
  }
  std::string text = absl::StrCat(integer_mantissa);
  if (exponent > 0) {
    return ctx_.real_val(text.c_str()) * ctx_.real_val(PowerOfTwoDecimal(exponent).c_str());
  }
  if (exponent < 0) text = absl::StrCat(text, "/", PowerOfTwoDecimal(-exponent));
  return ctx_.real_val(text.c_str());
}

z3::expr SymbolicEvaluator::Divide(const z3::expr& numerator, const z3::expr& denominator) {
  assumptions_.push_back(denominator != ctx_.real_val(0));
  return numerator / denominator;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::MatMul(const SymTensor& a, const SymTensor& b) {
  if (a.dims.size() != 2 || b.dims.size() != 2 || a.dims[1] != b.dims[0]) {
    return ShapeError("MatMul", absl::StrCat("operands ", DimsToString(a.dims), " and ", DimsToString(b.dims),
                                             " are not 2-D matrices with matching inner dims"));
  }
  int64_t m = a.dims[0], k = a.dims[1], n = b.dims[1];
  SymTensor out;
  out.dims = {m, n};
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      z3::expr_vector terms(ctx_);
      for (int64_t l = 0; l < k; ++l) terms.push_back(a.elements[i * k + l] * b.elements[l * n + j]);
      out.elements.push_back(Sum(ctx_, terms));
    }
  }
  return out;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::Conv(const SymTensor& x, const SymTensor& w, const SymTensor* bias,
                                                  const std::vector<int64_t>& pads, const std::vector<int64_t>& strides,
                                                  const std::vector<int64_t>& dilations, int64_t group) {
  if (x.dims.size() != 4 || w.dims.size() != 4) {
    return ShapeError("Conv",
                      absl::StrCat("only 2-D convolutions: x ", DimsToString(x.dims), ", w ", DimsToString(w.dims)));
  }
  int64_t n = x.dims[0], c = x.dims[1], h = x.dims[2], wd = x.dims[3];
  int64_t m = w.dims[0], cg = w.dims[1], kh = w.dims[2], kw = w.dims[3];
  if (group <= 0 || c % group != 0 || m % group != 0 || cg != c / group) {
    return ShapeError("Conv", absl::StrCat("channels of x ", DimsToString(x.dims), " and w ", DimsToString(w.dims),
                                           " disagree for group ", group));
  }
  int64_t ekh = (kh - 1) * dilations[0] + 1, ekw = (kw - 1) * dilations[1] + 1;
  int64_t oh = (h + pads[0] + pads[2] - ekh) / strides[0] + 1;
  int64_t ow = (wd + pads[1] + pads[3] - ekw) / strides[1] + 1;
  if (oh <= 0 || ow <= 0) return ShapeError("Conv", "kernel larger than the padded input");
  SymTensor out;
  out.dims = {n, m, oh, ow};
  int64_t m_per_group = m / group;
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t o = 0; o < m; ++o) {
      int64_t g = o / m_per_group;
      for (int64_t i = 0; i < oh; ++i) {
        for (int64_t j = 0; j < ow; ++j) {
          z3::expr_vector terms(ctx_);
          for (int64_t ci = 0; ci < cg; ++ci) {
            int64_t channel = g * cg + ci;
            for (int64_t u = 0; u < kh; ++u) {
              int64_t row = i * strides[0] + u * dilations[0] - pads[0];
              if (row < 0 || row >= h) continue;
              for (int64_t v = 0; v < kw; ++v) {
                int64_t col = j * strides[1] + v * dilations[1] - pads[1];
                if (col < 0 || col >= wd) continue;
                terms.push_back(x.elements[((b * c + channel) * h + row) * wd + col] *
                                w.elements[((o * cg + ci) * kh + u) * kw + v]);
              }
            }
          }
          if (bias != nullptr) terms.push_back(bias->elements[o]);
          out.elements.push_back(Sum(ctx_, terms));
        }
      }
    }
  }
  return out;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::Binary(absl::string_view op, const SymTensor& a, const SymTensor& b) {
  size_t rank = std::max(a.dims.size(), b.dims.size());
  std::vector<int64_t> a_dims(rank - a.dims.size(), 1), b_dims(rank - b.dims.size(), 1);
  a_dims.insert(a_dims.end(), a.dims.begin(), a.dims.end());
  b_dims.insert(b_dims.end(), b.dims.begin(), b.dims.end());
  SymTensor out;
  out.dims.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    if (a_dims[i] != b_dims[i] && a_dims[i] != 1 && b_dims[i] != 1) {
      return ShapeError(
          op, absl::StrCat("shapes ", DimsToString(a.dims), " and ", DimsToString(b.dims), " do not broadcast"));
    }
    out.dims[i] = a_dims[i] == 1 ? b_dims[i] : a_dims[i];
  }
  std::vector<int64_t> a_strides = RowMajorStrides(a_dims), b_strides = RowMajorStrides(b_dims);
  int64_t count = Product(out.dims);
  for (int64_t flat = 0; flat < count; ++flat) {
    std::vector<int64_t> index = Unravel(flat, out.dims);
    int64_t ai = 0, bi = 0;
    for (size_t i = 0; i < rank; ++i) {
      if (a_dims[i] != 1) ai += index[i] * a_strides[i];
      if (b_dims[i] != 1) bi += index[i] * b_strides[i];
    }
    const z3::expr& x = a.elements[ai];
    const z3::expr& y = b.elements[bi];
    if (op == "Add") {
      out.elements.push_back(x + y);
    } else if (op == "Sub") {
      out.elements.push_back(x - y);
    } else if (op == "Mul") {
      out.elements.push_back(x * y);
    } else if (op == "Div") {
      out.elements.push_back(Divide(x, y));
    } else {
      return absl::UnimplementedError(absl::StrCat("binary op ", op, " is not evaluated element-wise"));
    }
  }
  return out;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::Unary(absl::string_view op, const SymTensor& x) {
  SymTensor out;
  out.dims = x.dims;
  z3::expr zero = ctx_.real_val(0);
  for (const z3::expr& e : x.elements) {
    if (op == "Relu") {
      out.elements.push_back(z3::ite(e > zero, e, zero));
    } else if (op == "Sigmoid") {
      out.elements.push_back(sigmoid_(e));
    } else if (op == "Tanh") {
      out.elements.push_back(tanh_(e));
    } else if (op == "Erf") {
      out.elements.push_back(erf_(e));
    } else if (op == "Sqrt") {
      out.elements.push_back(sqrt_(e));
    } else if (op == "Neg") {
      out.elements.push_back(-e);
    } else if (op == "Identity") {
      out.elements.push_back(e);
    } else {
      return absl::UnimplementedError(absl::StrCat("unary op ", op, " is not evaluated element-wise"));
    }
  }
  return out;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::Concat(int64_t axis, const std::vector<const SymTensor*>& inputs) {
  if (inputs.empty()) return ShapeError("Concat", "no inputs");
  int64_t rank = static_cast<int64_t>(inputs[0]->dims.size());
  auto normalized = NormalizeAxis(axis, rank, "Concat");
  if (!normalized.ok()) return normalized.status();
  axis = *normalized;
  SymTensor out;
  out.dims = inputs[0]->dims;
  out.dims[axis] = 0;
  for (const SymTensor* input : inputs) {
    std::vector<int64_t> expected = inputs[0]->dims;
    expected[axis] = input->dims.size() == static_cast<size_t>(rank) ? input->dims[axis] : -1;
    if (input->dims != expected) {
      return ShapeError("Concat", absl::StrCat("inputs ", DimsToString(inputs[0]->dims), " and ",
                                               DimsToString(input->dims), " differ off axis ", axis));
    }
    out.dims[axis] += input->dims[axis];
  }
  int64_t outer = Product(std::vector<int64_t>(out.dims.begin(), out.dims.begin() + axis));
  int64_t inner = Product(std::vector<int64_t>(out.dims.begin() + axis + 1, out.dims.end()));
  for (int64_t o = 0; o < outer; ++o) {
    for (const SymTensor* input : inputs) {
      int64_t block = input->dims[axis] * inner;
      for (int64_t i = 0; i < block; ++i) out.elements.push_back(input->elements[o * block + i]);
    }
  }
  return out;
}

absl::StatusOr<std::vector<SymTensor>> SymbolicEvaluator::Split(int64_t axis, const SymTensor& x,
                                                                const std::vector<int64_t>& sizes) {
  auto normalized = NormalizeAxis(axis, static_cast<int64_t>(x.dims.size()), "Split");
  if (!normalized.ok()) return normalized.status();
  axis = *normalized;
  if (std::accumulate(sizes.begin(), sizes.end(), int64_t{0}) != x.dims[axis]) {
    return ShapeError("Split", absl::StrCat("sizes [", absl::StrJoin(sizes, ", "), "] do not add up to dim ",
                                            x.dims[axis], " of ", DimsToString(x.dims)));
  }
  int64_t outer = Product(std::vector<int64_t>(x.dims.begin(), x.dims.begin() + axis));
  int64_t inner = Product(std::vector<int64_t>(x.dims.begin() + axis + 1, x.dims.end()));
  std::vector<SymTensor> outputs;
  int64_t offset = 0;
  for (int64_t size : sizes) {
    SymTensor out;
    out.dims = x.dims;
    out.dims[axis] = size;
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < size * inner; ++i) {
        out.elements.push_back(x.elements[(o * x.dims[axis] + offset) * inner + i]);
      }
    }
    offset += size;
    outputs.push_back(std::move(out));
  }
  return outputs;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::Transpose(const SymTensor& x, std::vector<int64_t> perm) {
  size_t rank = x.dims.size();
  if (perm.empty()) {
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
  }
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(rank);
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity) {
    return ShapeError("Transpose",
                      absl::StrCat("perm [", absl::StrJoin(perm, ", "), "] is not a permutation of rank ", rank));
  }
  SymTensor out;
  for (int64_t p : perm) out.dims.push_back(x.dims[p]);
  std::vector<int64_t> strides = RowMajorStrides(x.dims);
  int64_t count = Product(out.dims);
  for (int64_t flat = 0; flat < count; ++flat) {
    std::vector<int64_t> index = Unravel(flat, out.dims);
    int64_t source = 0;
    for (size_t i = 0; i < rank; ++i) source += index[i] * strides[perm[i]];
    out.elements.push_back(x.elements[source]);
  }
  return out;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::Reshape(const SymTensor& x, const std::vector<int64_t>& shape) {
  std::vector<int64_t> dims = shape;
  int64_t inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0 && i < x.dims.size()) dims[i] = x.dims[i];
    if (dims[i] == -1) {
      if (inferred >= 0) return ShapeError("Reshape", "two -1 dims");
      inferred = static_cast<int64_t>(i);
    } else {
      known *= dims[i];
    }
  }
  if (inferred >= 0 && known > 0) dims[inferred] = x.num_elements() / known;
  if (Product(dims) != x.num_elements()) {
    return ShapeError("Reshape",
                      absl::StrCat("cannot reshape ", DimsToString(x.dims), " to [", absl::StrJoin(shape, ", "), "]"));
  }
  SymTensor out = x;
  out.dims = dims;
  return out;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::Pad(const SymTensor& x, const std::vector<int64_t>& pads) {
  size_t rank = x.dims.size();
  if (pads.size() != 2 * rank) {
    return ShapeError("Pad", absl::StrCat(pads.size(), " pads for rank ", rank));
  }
  SymTensor out;
  for (size_t i = 0; i < rank; ++i) {
    if (pads[i] < 0 || pads[i + rank] < 0) return ShapeError("Pad", "negative pads are not evaluated");
    out.dims.push_back(x.dims[i] + pads[i] + pads[i + rank]);
  }
  std::vector<int64_t> strides = RowMajorStrides(x.dims);
  int64_t count = Product(out.dims);
  for (int64_t flat = 0; flat < count; ++flat) {
    std::vector<int64_t> index = Unravel(flat, out.dims);
    int64_t source = 0;
    bool inside = true;
    for (size_t i = 0; i < rank; ++i) {
      int64_t position = index[i] - pads[i];
      if (position < 0 || position >= x.dims[i]) inside = false;
      source += position * strides[i];
    }
    out.elements.push_back(inside ? x.elements[source] : ctx_.real_val(0));
  }
  return out;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::Pool(const SymTensor& x, bool is_max, const std::vector<int64_t>& kernel,
                                                  const std::vector<int64_t>& pads, const std::vector<int64_t>& strides,
                                                  bool count_include_pad) {
  if (x.dims.size() != 4 || kernel.size() != 2) return ShapeError("Pool", "only 2-D pooling of 4-D tensors");
  int64_t n = x.dims[0], c = x.dims[1], h = x.dims[2], w = x.dims[3];
  int64_t oh = (h + pads[0] + pads[2] - kernel[0]) / strides[0] + 1;
  int64_t ow = (w + pads[1] + pads[3] - kernel[1]) / strides[1] + 1;
  if (oh <= 0 || ow <= 0) return ShapeError("Pool", "kernel larger than the padded input");
  SymTensor out;
  out.dims = {n, c, oh, ow};
  for (int64_t plane = 0; plane < n * c; ++plane) {
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j = 0; j < ow; ++j) {
        z3::expr_vector window(ctx_);
        for (int64_t u = 0; u < kernel[0]; ++u) {
          int64_t row = i * strides[0] + u - pads[0];
          if (row < 0 || row >= h) continue;
          for (int64_t v = 0; v < kernel[1]; ++v) {
            int64_t col = j * strides[1] + v - pads[1];
            if (col < 0 || col >= w) continue;
            window.push_back(x.elements[(plane * h + row) * w + col]);
          }
        }
        if (is_max) {
          z3::expr best = window[0];
          for (unsigned k = 1; k < window.size(); ++k) best = z3::ite(window[k] > best, window[k], best);
          out.elements.push_back(best);
        } else {
          int64_t count = count_include_pad ? kernel[0] * kernel[1] : static_cast<int64_t>(window.size());
          out.elements.push_back(Sum(ctx_, window) / ctx_.real_val(count));
        }
      }
    }
  }
  return out;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::ReduceMean(const SymTensor& x, std::vector<int64_t> axes, bool keepdims) {
  int64_t rank = static_cast<int64_t>(x.dims.size());
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes) {
    auto normalized = NormalizeAxis(axis, rank, "ReduceMean");
    if (!normalized.ok()) return normalized.status();
    reduced[*normalized] = true;
  }
  std::vector<int64_t> kept_dims;  // with reduced dims as 1
  int64_t group = 1;
  for (int64_t i = 0; i < rank; ++i) {
    kept_dims.push_back(reduced[i] ? 1 : x.dims[i]);
    if (reduced[i]) group *= x.dims[i];
  }
  std::vector<z3::expr_vector> sums;
  int64_t out_count = Product(kept_dims);
  for (int64_t i = 0; i < out_count; ++i) sums.emplace_back(ctx_);
  std::vector<int64_t> kept_strides = RowMajorStrides(kept_dims);
  for (int64_t flat = 0; flat < x.num_elements(); ++flat) {
    std::vector<int64_t> index = Unravel(flat, x.dims);
    int64_t target = 0;
    for (int64_t i = 0; i < rank; ++i) {
      if (!reduced[i]) target += index[i] * kept_strides[i];
    }
    sums[target].push_back(x.elements[flat]);
  }
  SymTensor out;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i] || keepdims) out.dims.push_back(kept_dims[i]);
  }
  for (const z3::expr_vector& terms : sums) out.elements.push_back(Sum(ctx_, terms) / ctx_.real_val(group));
  return out;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::BatchNorm(const SymTensor& x, const SymTensor& scale,
                                                       const SymTensor& bias, const SymTensor& mean,
                                                       const SymTensor& var, double epsilon) {
  if (x.dims.size() < 2) return ShapeError("BatchNormalization", "input of rank < 2");
  int64_t c = x.dims[1];
  for (const SymTensor* parameter : {&scale, &bias, &mean, &var}) {
    if (parameter->dims != std::vector<int64_t>{c}) {
      return ShapeError("BatchNormalization",
                        absl::StrCat("parameter ", DimsToString(parameter->dims), " does not match ", c, " channels"));
    }
  }
  int64_t inner = Product(std::vector<int64_t>(x.dims.begin() + 2, x.dims.end()));
  SymTensor out;
  out.dims = x.dims;
  z3::expr eps = RealFromDouble(epsilon);
  for (int64_t flat = 0; flat < x.num_elements(); ++flat) {
    int64_t channel = (flat / inner) % c;
    z3::expr normalized = Divide(x.elements[flat] - mean.elements[channel], sqrt_(var.elements[channel] + eps));
    out.elements.push_back(scale.elements[channel] * normalized + bias.elements[channel]);
  }
  return out;
}

absl::StatusOr<SymTensor> SymbolicEvaluator::EvalTerm(const AxiomTerm& term,
                                                      const std::map<std::string, SymTensor>& tensors,
                                                      const std::map<std::string, int64_t>& ints,
                                                      const std::map<std::string, std::vector<int64_t>>& dims) {
  if (term.kind == AxiomTerm::Kind::kVariable) {
    auto it = tensors.find(term.name);
    if (it == tensors.end()) return absl::InvalidArgumentError(absl::StrCat("unbound tensor '", term.name, "'"));
    return it->second;
  }
  if (term.kind != AxiomTerm::Kind::kCall) return absl::InvalidArgumentError("a parameter where a tensor belongs");
  const FunctionSymbol* symbol = FindFunctionSymbol(term.name);
  if (symbol == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown function '", term.name, "'"));
  std::vector<int64_t> int_args;
  std::vector<std::vector<int64_t>> dims_args;
  std::vector<SymTensor> tensor_args;
  for (size_t i = 0; i < term.args.size(); ++i) {
    const AxiomTerm& arg = term.args[i];
    if (symbol->args[i] == ArgKind::kInt) {
      if (arg.kind == AxiomTerm::Kind::kInt) {
        int_args.push_back(arg.int_value);
      } else {
        int_args.push_back(ints.at(arg.name));
      }
    } else if (symbol->args[i] == ArgKind::kDims) {
      dims_args.push_back(arg.kind == AxiomTerm::Kind::kInts ? arg.ints_value : dims.at(arg.name));
    } else {
      auto value = EvalTerm(arg, tensors, ints, dims);
      if (!value.ok()) return value.status();
      tensor_args.push_back(*std::move(value));
    }
  }
  const std::string& f = term.name;
  if (f == "matmul") return MatMul(tensor_args[0], tensor_args[1]);
  if (f == "conv") {
    int64_t p = int_args[0];
    return Conv(tensor_args[0], tensor_args[1], nullptr, {p, p, p, p}, {1, 1}, {1, 1}, 1);
  }
  if (f == "add") return Binary("Add", tensor_args[0], tensor_args[1]);
  if (f == "sub") return Binary("Sub", tensor_args[0], tensor_args[1]);
  if (f == "mul") return Binary("Mul", tensor_args[0], tensor_args[1]);
  if (f == "div") return Binary("Div", tensor_args[0], tensor_args[1]);
  if (f == "concat") return Concat(int_args[0], {&tensor_args[0], &tensor_args[1]});
  if (f == "split_lo" || f == "split_hi") {
    const SymTensor& x = tensor_args[0];
    auto axis = NormalizeAxis(int_args[0], static_cast<int64_t>(x.dims.size()), "split");
    if (!axis.ok()) return axis.status();
    if (x.dims[*axis] % 2 != 0) return ShapeError("split", "odd dim cannot be halved");
    auto halves = Split(*axis, x, {x.dims[*axis] / 2, x.dims[*axis] / 2});
    if (!halves.ok()) return halves.status();
    return (*halves)[f == "split_lo" ? 0 : 1];
  }
  if (f == "transpose") {
    if (tensor_args[0].dims.size() != 2) return ShapeError("transpose", "perm [1, 0] needs a 2-D tensor");
    return Transpose(tensor_args[0], {1, 0});
  }
  if (f == "reshape") return Reshape(tensor_args[0], dims_args[0]);
  if (f == "enlarge") return Pad(tensor_args[0], {0, 0, 1, 1, 0, 0, 1, 1});
  if (f == "avgpool") return Pool(tensor_args[0], false, {3, 3}, {1, 1, 1, 1}, {1, 1}, true);
  if (f == "maxpool") return Pool(tensor_args[0], true, {3, 3}, {1, 1, 1, 1}, {1, 1}, false);
  if (f == "reduce_mean") return ReduceMean(tensor_args[0], {-1}, true);
  if (f == "relu") return Unary("Relu", tensor_args[0]);
  if (f == "sigmoid") return Unary("Sigmoid", tensor_args[0]);
  if (f == "tanh") return Unary("Tanh", tensor_args[0]);
  if (f == "erf") return Unary("Erf", tensor_args[0]);
  if (f == "sqrt") return Unary("Sqrt", tensor_args[0]);
  if (f == "batchnorm") {
    return BatchNorm(tensor_args[0], tensor_args[1], tensor_args[2], tensor_args[3], tensor_args[4], 1e-5);
  }
  return absl::UnimplementedError(absl::StrCat("no element-wise semantics for '", f, "'"));
}

absl::StatusOr<std::vector<SymTensor>> SymbolicEvaluator::EvalNode(const ir::Node& node,
                                                                   const std::vector<const SymTensor*>& inputs) {
  const std::string& op = node.op_type;
  auto fail = [&](absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), ": ", message));
  };
  auto input = [&](int i) -> const SymTensor* { return i < static_cast<int>(inputs.size()) ? inputs[i] : nullptr; };
  auto single = [](absl::StatusOr<SymTensor> result) -> absl::StatusOr<std::vector<SymTensor>> {
    if (!result.ok()) return result.status();
    return std::vector<SymTensor>{*std::move(result)};
  };
  if (!node.domain.empty() && node.domain != "ai.onnx") {
    return absl::UnimplementedError(
        absl::StrCat("node ", node.Describe(), ": domain '", node.domain, "' is not evaluated element-wise"));
  }
  for (int i = 0; i < node.num_inputs(); ++i) {
    const SymTensor* value = input(i);
    bool index_input = (op == "Reshape" && i == 1) || (op == "Pad" && i == 1) || (op == "Split" && i == 1) ||
                       (op == "ReduceMean" && i == 1);
    if (value != nullptr && value->is_int != index_input) {
      return fail(absl::StrCat("input ", i, (value->is_int ? " is an integer tensor" : " is not an integer tensor")));
    }
  }
  if (input(0) == nullptr) return fail("missing first input");
  const SymTensor& x = *input(0);
  absl::StatusOr<std::vector<SymTensor>> result = absl::UnimplementedError("");
  if (op == "MatMul" && input(1)) {
    result = single(MatMul(x, *input(1)));
  } else if (op == "Conv" && input(1)) {
    if (node.GetString("auto_pad", "NOTSET") != "NOTSET") return fail("auto_pad is not evaluated element-wise");
    result = single(Conv(x, *input(1), input(2), node.GetInts("pads", {0, 0, 0, 0}), node.GetInts("strides", {1, 1}),
                         node.GetInts("dilations", {1, 1}), node.GetInt("group", 1)));
  } else if ((op == "Add" || op == "Sub" || op == "Mul" || op == "Div") && input(1)) {
    result = single(Binary(op, x, *input(1)));
  } else if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "Erf" || op == "Sqrt" || op == "Neg" ||
             op == "Identity") {
    result = single(Unary(op, x));
  } else if (op == "Concat") {
    std::vector<const SymTensor*> parts;
    for (const SymTensor* part : inputs) {
      if (part != nullptr) parts.push_back(part);
    }
    result = single(Concat(node.GetInt("axis", 0), parts));
  } else if (op == "Split") {
    auto axis = NormalizeAxis(node.GetInt("axis", 0), static_cast<int64_t>(x.dims.size()), "Split");
    if (!axis.ok()) return fail(axis.status().message());
    std::vector<int64_t> sizes = input(1) ? input(1)->ints : node.GetInts("split", {});
    if (sizes.empty()) {
      int64_t parts = node.num_outputs();
      if (x.dims[*axis] % parts != 0) return fail("the split dim is not divisible by the number of outputs");
      sizes.assign(static_cast<size_t>(parts), x.dims[*axis] / parts);
    }
    result = Split(*axis, x, sizes);
  } else if (op == "Transpose") {
    result = single(Transpose(x, node.GetInts("perm", {})));
  } else if (op == "Reshape" && input(1)) {
    if (node.GetInt("allowzero", 0) != 0) return fail("allowzero is not evaluated element-wise");
    result = single(Reshape(x, input(1)->ints));
  } else if (op == "Pad" && input(1)) {
    if (node.GetString("mode", "constant") != "constant") return fail("only constant padding is evaluated");
    if (input(2) != nullptr) {
      for (const z3::expr& value : input(2)->elements) {
        if (!value.is_numeral() || value.get_numeral_int64() != 0) return fail("only zero padding is evaluated");
      }
    }
    if (input(3) != nullptr) return fail("Pad with an axes input is not evaluated");
    result = single(Pad(x, input(1)->ints));
  } else if (op == "AveragePool" || op == "MaxPool") {
    if (node.GetString("auto_pad", "NOTSET") != "NOTSET" || node.GetInt("ceil_mode", 0) != 0 ||
        node.num_outputs() > 1 || !node.GetInts("dilations", {}).empty()) {
      return fail("auto_pad, ceil_mode, dilations and indices are not evaluated element-wise");
    }
    result = single(Pool(x, op == "MaxPool", node.GetInts("kernel_shape", {}), node.GetInts("pads", {0, 0, 0, 0}),
                         node.GetInts("strides", {1, 1}), node.GetInt("count_include_pad", 0) != 0));
  } else if (op == "ReduceMean") {
    std::vector<int64_t> axes = input(1) ? input(1)->ints : node.GetInts("axes", {});
    result = single(ReduceMean(x, axes, node.GetInt("keepdims", 1) != 0));
  } else if (op == "BatchNormalization" && inputs.size() >= 5 && input(1) && input(2) && input(3) && input(4)) {
    if (node.num_outputs() > 1 || node.GetInt("training_mode", 0) != 0) return fail("only inference mode");
    result = single(BatchNorm(x, *input(1), *input(2), *input(3), *input(4), node.GetFloat("epsilon", 1e-5f)));
  } else {
    return absl::UnimplementedError(
        absl::StrCat("node ", node.Describe(), ": op ", op, " is not evaluated element-wise"));
  }
  if (!result.ok()) return fail(result.status().message());
  return result;
}

absl::StatusOr<std::vector<SymTensor>> SymbolicEvaluator::EvalGraph(const ir::Graph& graph,
                                                                    const std::map<std::string, SymTensor>& inputs) {
  std::vector<std::optional<SymTensor>> values(static_cast<size_t>(graph.num_values()));
  for (ir::ValueId id : graph.inputs()) {
    const std::string& name = graph.value(id).name;
    auto it = inputs.find(name);
    if (it == inputs.end()) return absl::InvalidArgumentError(absl::StrCat("no value for graph input '", name, "'"));
    values[id] = it->second;
  }
  for (ir::ValueId id : graph.Initializers()) {
    const ir::Tensor& tensor = *graph.value(id).initializer;
    SymTensor constant;
    constant.dims = tensor.dims();
    if (ir::IsFloatingPoint(tensor.dtype())) {
      for (int64_t i = 0; i < tensor.num_elements(); ++i) {
        constant.elements.push_back(RealFromDouble(tensor.GetAsDouble(i)));
      }
    } else {
      constant.is_int = true;
      for (int64_t i = 0; i < tensor.num_elements(); ++i) constant.ints.push_back(tensor.GetAsInt64(i));
    }
    values[id] = std::move(constant);
  }
  for (ir::NodeId node_id : graph.LiveNodes()) {
    const ir::Node& node = graph.node(node_id);
    std::vector<const SymTensor*> node_inputs;
    for (ir::ValueId id : node.inputs) {
      if (id == ir::kNoValue) {
        node_inputs.push_back(nullptr);
        continue;
      }
      if (!values[id]) {
        return absl::InvalidArgumentError(
            absl::StrCat("node ", node.Describe(), " reads '", graph.value(id).name, "' before it is computed"));
      }
      node_inputs.push_back(&*values[id]);
    }
    auto outputs = EvalNode(node, node_inputs);
    if (!outputs.ok()) return outputs.status();
    if (outputs->size() < node.outputs.size()) {
      return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), " gives too few outputs"));
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i] != ir::kNoValue) values[node.outputs[i]] = std::move((*outputs)[i]);
    }
  }
  std::vector<SymTensor> results;
  for (ir::ValueId id : graph.outputs()) {
    if (!values[id]) {
      return absl::InvalidArgumentError(absl::StrCat("graph output '", graph.value(id).name, "' is never computed"));
    }
    results.push_back(*values[id]);
  }
  return results;
}

}  // namespace gsopt::verifier::z3prover
