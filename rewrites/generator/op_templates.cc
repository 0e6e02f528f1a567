// The generator's op templates: typing on concrete shapes and evaluation.
// The multilinear kernels are written once over a ring (double or Z_p) so
// that the float and the exact fingerprints come from the same code; the
// nonlinear ones exist in double only. The generator evaluates each template
// millions of times on tensors of a few hundred elements, which is why these
// small kernels are used instead of building ir::Nodes for the CPU backend or
// field_eval's EvalNode: the field here is the same Z_p (kPrime, FieldAdd,
// FieldMul from verifier/random/field_eval.h).
#include "rewrites/generator/op_templates.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "verifier/random/field_eval.h"

namespace gsopt::rewrites::generator::internal {
namespace {

namespace field = ::gsopt::verifier::field;

constexpr TemplateInfo kTemplates[] = {
    {"matmul", "MatMul", "MatMul", Form::kBinary, LeafKind::kTensor, 1, true, false},
    {"conv1", "Conv", "Conv1x1", Form::kBinary, LeafKind::kTensor, 1, true, false},
    {"conv3", "Conv", "Conv3x3", Form::kBinary, LeafKind::kTensor, 1, true, false},
    {"add", "Add", "Add", Form::kBinary, LeafKind::kTensor, 1, true, true},
    {"sub", "Sub", "Sub", Form::kBinary, LeafKind::kTensor, 1, true, false},
    {"mul", "Mul", "Mul", Form::kBinary, LeafKind::kTensor, 1, true, true},
    {"div", "Div", "Div", Form::kBinary, LeafKind::kTensor, 1, true, false},
    {"scale", "Mul", "Scale", Form::kLeafOperand, LeafKind::kScalar, 1, true, false},
    {"concat0", "Concat", "Concat0", Form::kBinary, LeafKind::kTensor, 1, true, false},
    {"concat1", "Concat", "Concat1", Form::kBinary, LeafKind::kTensor, 1, true, false},
    {"split0", "Split", "Split0", Form::kUnary, LeafKind::kTensor, 2, true, false},
    {"split1", "Split", "Split1", Form::kUnary, LeafKind::kTensor, 2, true, false},
    {"transpose", "Transpose", "Transpose", Form::kUnary, LeafKind::kTensor, 1, true, false},
    {"reshape", "Reshape", "Reshape", Form::kLeafOperand, LeafKind::kShape, 1, true, false},
    {"enlarge", "Pad", "Enlarge", Form::kLeafOperand, LeafKind::kPads, 1, true, false},
    {"avgpool", "AveragePool", "AvgPool", Form::kUnary, LeafKind::kTensor, 1, true, false},
    {"reduce_mean", "ReduceMean", "ReduceMean", Form::kUnary, LeafKind::kTensor, 1, true, false},
    {"relu", "Relu", "Relu", Form::kUnary, LeafKind::kTensor, 1, false, false},
    {"sigmoid", "Sigmoid", "Sigmoid", Form::kUnary, LeafKind::kTensor, 1, false, false},
    {"tanh", "Tanh", "Tanh", Form::kUnary, LeafKind::kTensor, 1, false, false},
    {"erf", "Erf", "Erf", Form::kUnary, LeafKind::kTensor, 1, false, false},
    {"sqrt", "Sqrt", "Sqrt", Form::kUnary, LeafKind::kTensor, 1, false, false},
    {"maxpool", "MaxPool", "MaxPool", Form::kUnary, LeafKind::kTensor, 1, false, false},
    {"batchnorm", "BatchNormalization", "BatchNorm", Form::kUnary, LeafKind::kTensor, 1, false, false},
    {"identity", "Identity", "Identity", Form::kUnary, LeafKind::kTensor, 1, true, false},
};
static_assert(sizeof(kTemplates) / sizeof(kTemplates[0]) == kNumTemplates + 1);

constexpr double kBatchNormEpsilon = 1e-5;  // ONNX's default

uint64_t FieldPow(uint64_t base, uint64_t exponent) {
  uint64_t result = 1;
  while (exponent > 0) {
    if (exponent & 1) result = field::FieldMul(result, base);
    base = field::FieldMul(base, base);
    exponent >>= 1;
  }
  return result;
}

// Division by a zero residue has no field meaning; the generator's random
// residues are nonzero, so it only arises for expressions like a / (b - b),
// which then fingerprint as 0 consistently on both sides of any rule.
uint64_t FieldInverse(uint64_t a) { return a == 0 ? 0 : FieldPow(a, field::kPrime - 2); }

struct RealRing {
  using T = double;
  static T Add(T a, T b) { return a + b; }
  static T Sub(T a, T b) { return a - b; }
  static T Mul(T a, T b) { return a * b; }
  static T Div(T a, T b) { return a / b; }
  static T InverseCount(int64_t n) { return 1.0 / static_cast<double>(n); }
};

struct FieldRing {
  using T = uint64_t;
  static T Add(T a, T b) { return field::FieldAdd(a, b); }
  static T Sub(T a, T b) { return field::FieldSub(a, b); }
  static T Mul(T a, T b) { return field::FieldMul(a, b); }
  static T Div(T a, T b) { return field::FieldMul(a, FieldInverse(b)); }
  static T InverseCount(int64_t n) { return FieldInverse(static_cast<uint64_t>(n) % field::kPrime); }
};

// Product of dims[begin, end).
int64_t Span(const Dims& dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) n *= dims[i];
  return n;
}

// The multilinear templates over ring R. `out` holds one vector per output.
template <class R>
void EvaluateLinear(int t, const std::vector<typename R::T>& a, const Dims& ad, const std::vector<typename R::T>* b,
                    const Dims* bd, const Dims out_dims[2], std::vector<typename R::T> out[2]) {
  using T = typename R::T;
  out[0].assign(static_cast<size_t>(NumElements(out_dims[0])), T{});
  std::vector<T>& y = out[0];
  switch (t) {
    case kMatMul: {
      const int64_t m = ad[0], k = ad[1], n = (*bd)[1];
      for (int64_t i = 0; i < m; ++i)
        for (int64_t p = 0; p < k; ++p) {
          const T av = a[i * k + p];
          for (int64_t j = 0; j < n; ++j) y[i * n + j] = R::Add(y[i * n + j], R::Mul(av, (*b)[p * n + j]));
        }
      return;
    }
    case kConv1:
    case kConv3: {
      const int64_t pad = t == kConv3 ? 1 : 0;
      const int64_t batch = ad[0], channels = ad[1], height = ad[2], width = ad[3];
      const int64_t filters = (*bd)[0], kh = (*bd)[2], kw = (*bd)[3];
      const int64_t oh = out_dims[0][2], ow = out_dims[0][3];
      for (int64_t nn = 0; nn < batch; ++nn)
        for (int64_t f = 0; f < filters; ++f)
          for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < ow; ++ox) {
              T sum{};
              for (int64_t c = 0; c < channels; ++c)
                for (int64_t ky = 0; ky < kh; ++ky)
                  for (int64_t kx = 0; kx < kw; ++kx) {
                    const int64_t iy = oy + ky - pad, ix = ox + kx - pad;
                    if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                    sum = R::Add(sum, R::Mul(a[((nn * channels + c) * height + iy) * width + ix],
                                             (*b)[((f * channels + c) * kh + ky) * kw + kx]));
                  }
              y[((nn * filters + f) * oh + oy) * ow + ox] = sum;
            }
      return;
    }
    case kAdd:
    case kSub:
    case kMul:
    case kDiv:
      for (size_t i = 0; i < y.size(); ++i) {
        const T u = a[i], v = (*b)[i];
        y[i] = t == kAdd ? R::Add(u, v) : t == kSub ? R::Sub(u, v) : t == kMul ? R::Mul(u, v) : R::Div(u, v);
      }
      return;
    case kScale:
      for (size_t i = 0; i < y.size(); ++i) y[i] = R::Mul(a[i], (*b)[0]);
      return;
    case kConcat0:
    case kConcat1: {
      const size_t axis = t == kConcat0 ? 0 : 1;
      const int64_t outer = Span(ad, 0, axis);
      const int64_t a_inner = Span(ad, axis, ad.size()), b_inner = Span(*bd, axis, bd->size());
      size_t at = 0;
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < a_inner; ++i) y[at++] = a[o * a_inner + i];
        for (int64_t i = 0; i < b_inner; ++i) y[at++] = (*b)[o * b_inner + i];
      }
      return;
    }
    case kSplit0:
    case kSplit1: {
      const size_t axis = t == kSplit0 ? 0 : 1;
      out[1].assign(y.size(), T{});
      const int64_t outer = Span(ad, 0, axis);
      const int64_t half = Span(ad, axis, ad.size()) / 2;
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < half; ++i) {
          out[0][o * half + i] = a[o * 2 * half + i];
          out[1][o * half + i] = a[o * 2 * half + half + i];
        }
      return;
    }
    case kTranspose:
      for (int64_t i = 0; i < ad[0]; ++i)
        for (int64_t j = 0; j < ad[1]; ++j) y[j * ad[0] + i] = a[i * ad[1] + j];
      return;
    case kReshape:
    case kIdentity:
      y = a;
      return;
    case kEnlarge: {
      const int64_t planes = ad[0] * ad[1];
      for (int64_t p = 0; p < planes; ++p) y[p * 9 + 4] = a[p];  // the centre of each 3x3 kernel
      return;
    }
    case kAvgPool: {
      const int64_t planes = ad[0] * ad[1], height = ad[2], width = ad[3];
      const T inverse = R::InverseCount(9);  // count_include_pad=1: always 9
      for (int64_t p = 0; p < planes; ++p)
        for (int64_t oy = 0; oy < height; ++oy)
          for (int64_t ox = 0; ox < width; ++ox) {
            T sum{};
            for (int64_t iy = oy - 1; iy <= oy + 1; ++iy)
              for (int64_t ix = ox - 1; ix <= ox + 1; ++ix)
                if (iy >= 0 && iy < height && ix >= 0 && ix < width)
                  sum = R::Add(sum, a[(p * height + iy) * width + ix]);
            y[(p * height + oy) * width + ox] = R::Mul(sum, inverse);
          }
      return;
    }
    case kReduceMean: {
      const int64_t last = ad.back(), rows = NumElements(ad) / last;
      const T inverse = R::InverseCount(last);
      for (int64_t r = 0; r < rows; ++r) {
        T sum{};
        for (int64_t i = 0; i < last; ++i) sum = R::Add(sum, a[r * last + i]);
        y[r] = R::Mul(sum, inverse);
      }
      return;
    }
    default:
      return;
  }
}

// The nonlinear templates, in double only.
void EvaluateNonlinear(int t, const Value& a, const std::vector<Value>& leaves, std::vector<double>& y) {
  const std::vector<double>& x = a.real;
  y.assign(x.size(), 0.0);
  switch (t) {
    case kRelu:
      for (size_t i = 0; i < x.size(); ++i) y[i] = std::max(x[i], 0.0);
      return;
    case kSigmoid:
      for (size_t i = 0; i < x.size(); ++i) y[i] = 1.0 / (1.0 + std::exp(-x[i]));
      return;
    case kTanh:
      for (size_t i = 0; i < x.size(); ++i) y[i] = std::tanh(x[i]);
      return;
    case kErf:
      for (size_t i = 0; i < x.size(); ++i) y[i] = std::erf(x[i]);
      return;
    case kSqrt:
      for (size_t i = 0; i < x.size(); ++i) y[i] = std::sqrt(x[i]);
      return;
    case kMaxPool: {
      const int64_t planes = a.dims[0] * a.dims[1], height = a.dims[2], width = a.dims[3];
      for (int64_t p = 0; p < planes; ++p)
        for (int64_t oy = 0; oy < height; ++oy)
          for (int64_t ox = 0; ox < width; ++ox) {
            double best = -INFINITY;
            for (int64_t iy = oy - 1; iy <= oy + 1; ++iy)
              for (int64_t ix = ox - 1; ix <= ox + 1; ++ix)
                if (iy >= 0 && iy < height && ix >= 0 && ix < width)
                  best = std::max(best, x[(p * height + iy) * width + ix]);
            y[(p * height + oy) * width + ox] = best;
          }
      return;
    }
    case kBatchNorm: {
      const std::vector<int>& params = BatchNormParamLeaves();
      const std::vector<double>& scale = leaves[params[0]].real;
      const std::vector<double>& bias = leaves[params[1]].real;
      const std::vector<double>& mean = leaves[params[2]].real;
      const std::vector<double>& var = leaves[params[3]].real;
      const int64_t channels = a.dims[1], plane = a.dims[2] * a.dims[3];
      for (size_t i = 0; i < x.size(); ++i) {
        const size_t c = static_cast<size_t>((static_cast<int64_t>(i) / plane) % channels);
        y[i] = (x[i] - mean[c]) / std::sqrt(var[c] + kBatchNormEpsilon) * scale[c] + bias[c];
      }
      return;
    }
    default:
      return;
  }
}

}  // namespace

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

int64_t NumElements(const Dims& dims) { return Span(dims, 0, dims.size()); }

const std::vector<Leaf>& LeafPool() {
  // Matrices come as [4,6] and [6,4] so MatMul chains and Transpose compose
  // without making every matrix square; activations are [1,4,5,5] (even C
  // for split1), conv weights [4,4,k,k] keep the channel count, so Convs
  // chain. Dims differ between kinds where the ops allow, so that a rule
  // found here rarely depends on a coincidence of sizes.
  static const std::vector<Leaf>* pool = new std::vector<Leaf>{
      {"a", LeafKind::kTensor, {4, 6}, {}, 0},
      {"b", LeafKind::kTensor, {4, 6}, {}, 0},
      {"c", LeafKind::kTensor, {4, 6}, {}, 0},
      {"d", LeafKind::kTensor, {6, 4}, {}, 0},
      {"e", LeafKind::kTensor, {6, 4}, {}, 0},
      {"x", LeafKind::kTensor, {1, 4, 5, 5}, {}, 0},
      {"y", LeafKind::kTensor, {1, 4, 5, 5}, {}, 0},
      {"w", LeafKind::kTensor, {4, 4, 1, 1}, {}, 1},
      {"v", LeafKind::kTensor, {4, 4, 1, 1}, {}, 1},
      {"k", LeafKind::kTensor, {4, 4, 3, 3}, {}, 3},
      {"j", LeafKind::kTensor, {4, 4, 3, 3}, {}, 3},
      {"s", LeafKind::kScalar, {}, {}, 0},
      {"gamma", LeafKind::kBnParam, {4}, {}, 0},
      {"beta", LeafKind::kBnParam, {4}, {}, 0},
      {"mean", LeafKind::kBnParam, {4}, {}, 0},
      {"var", LeafKind::kBnParam, {4}, {}, 0},
      {"shape_6x4", LeafKind::kShape, {2}, {6, 4}, 0},
      {"shape_4x6", LeafKind::kShape, {2}, {4, 6}, 0},
      {"pads", LeafKind::kPads, {8}, {0, 0, 1, 1, 0, 0, 1, 1}, 0},
  };
  return *pool;
}

const std::vector<int>& BatchNormParamLeaves() {
  static const std::vector<int>* params = [] {
    auto* result = new std::vector<int>;
    const std::vector<Leaf>& pool = LeafPool();
    for (size_t i = 0; i < pool.size(); ++i)
      if (pool[i].kind == LeafKind::kBnParam) result->push_back(static_cast<int>(i));
    return result;
  }();
  return *params;
}

const TemplateInfo& Info(int t) { return kTemplates[t]; }

std::string AttributeText(int t) {
  switch (t) {
    case kConv1:
      return "{pads=[0, 0, 0, 0]}";
    case kConv3:
      return "{pads=[1, 1, 1, 1]}";
    case kConcat0:
    case kSplit0:
      return "{axis=0}";
    case kConcat1:
    case kSplit1:
      return "{axis=1}";
    case kTranspose:
      return "{perm=[1, 0]}";
    case kAvgPool:
      return "{kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1}";
    case kReduceMean:
      return "{axes=[-1]}";
    case kMaxPool:
      return "{kernel_shape=[3, 3], pads=[1, 1, 1, 1]}";
    default:
      return "";
  }
}

ir::AttributeMap Attributes(int t) {
  using Ints = std::vector<int64_t>;
  switch (t) {
    case kConv1:
      return {{"pads", Ints{0, 0, 0, 0}}};
    case kConv3:
      return {{"pads", Ints{1, 1, 1, 1}}};
    case kConcat0:
    case kSplit0:
      return {{"axis", int64_t{0}}};
    case kConcat1:
    case kSplit1:
      return {{"axis", int64_t{1}}};
    case kTranspose:
      return {{"perm", Ints{1, 0}}};
    case kAvgPool:
      return {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}, {"count_include_pad", int64_t{1}}};
    case kReduceMean:
      return {{"axes", Ints{-1}}};
    case kMaxPool:
      return {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}};
    default:
      return {};
  }
}

bool Value::operand() const { return leaf < 0 || LeafPool()[static_cast<size_t>(leaf)].kind == LeafKind::kTensor; }

namespace {
// Image-like: the 4-D activations and what Concat/Split make of them, not the
// conv weights. Pooling, Conv and BatchNorm read only these, which keeps
// nonsense like MaxPool of a 1x1 kernel (the kernel itself) out.
bool IsActivation(const Dims& x) { return x.size() == 4 && x[2] >= 5 && x[3] >= 5; }
}  // namespace

bool OutputDims(int t, const Value& a, const Value* b, Dims out[2]) {
  const Dims& x = a.dims;
  switch (t) {
    case kMatMul:
      if (x.size() != 2 || b->dims.size() != 2 || x[1] != b->dims[0]) return false;
      out[0] = {x[0], b->dims[1]};
      return true;
    case kConv1:
    case kConv3: {
      const int64_t kernel = t == kConv3 ? 3 : 1;
      const Dims& w = b->dims;
      if (!IsActivation(x) || w.size() != 4 || w[2] != kernel || w[3] != kernel || x[1] != w[1]) return false;
      out[0] = {x[0], w[0], x[2], x[3]};  // "same" size: pads = (kernel - 1) / 2
      return true;
    }
    case kAdd:
    case kSub:
    case kMul:
    case kDiv:
      if (x != b->dims || x.empty()) return false;
      out[0] = x;
      return true;
    case kScale:
      out[0] = x;
      return true;
    case kConcat0:
    case kConcat1: {
      const size_t axis = t == kConcat0 ? 0 : 1;
      const Dims& z = b->dims;
      if (x.size() != z.size() || x.size() <= axis) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (i != axis && x[i] != z[i]) return false;
      out[0] = x;
      out[0][axis] += z[axis];
      return true;
    }
    case kSplit0:
    case kSplit1: {
      const size_t axis = t == kSplit0 ? 0 : 1;
      if (x.size() <= axis || x[axis] % 2 != 0) return false;
      out[0] = x;
      out[0][axis] /= 2;
      out[1] = out[0];
      return true;
    }
    case kTranspose:
      if (x.size() != 2) return false;
      out[0] = {x[1], x[0]};
      return true;
    case kReshape: {
      const std::vector<int64_t>& shape = LeafPool()[static_cast<size_t>(b->leaf)].ints;
      if (x.size() != 2 || NumElements(x) != NumElements(shape) || x == shape) return false;
      out[0] = shape;
      return true;
    }
    case kEnlarge:
      if (x.size() != 4 || x[2] != 1 || x[3] != 1) return false;
      out[0] = {x[0], x[1], 3, 3};
      return true;
    case kAvgPool:
    case kMaxPool:
      if (!IsActivation(x)) return false;
      out[0] = x;
      return true;
    case kBatchNorm:
      if (!IsActivation(x) || x[1] != LeafPool()[static_cast<size_t>(BatchNormParamLeaves()[0])].dims[0]) return false;
      out[0] = x;
      return true;
    case kReduceMean:
      if (x.empty() || x.back() == 1) return false;
      out[0] = x;
      out[0].back() = 1;
      return true;
    case kRelu:
    case kSigmoid:
    case kTanh:
    case kErf:
    case kSqrt:
    case kIdentity:
      if (x.empty()) return false;
      out[0] = x;
      return true;
    default:
      return false;
  }
}

bool Evaluate(int t, const Value& a, const Value* b, const std::vector<Value>& leaves, Value out[2]) {
  Dims dims[2];
  if (!OutputDims(t, a, b, dims)) return false;
  const int outputs = Info(t).outputs;
  for (int i = 0; i < outputs; ++i) {
    out[i].dims = dims[i];
    out[i].leaf = -1;
  }
  if (Info(t).field) {
    std::vector<double> real[2];
    EvaluateLinear<RealRing>(t, a.real, a.dims, b ? &b->real : nullptr, b ? &b->dims : nullptr, dims, real);
    // Shape and pads operands are integers that only steer data movement.
    const bool exact = a.has_field && (b == nullptr || b->has_field ||
                                       (b->leaf >= 0 && !LeafPool()[static_cast<size_t>(b->leaf)].is_float()));
    std::vector<uint64_t> residues[2];
    if (exact)
      EvaluateLinear<FieldRing>(t, a.field, a.dims, b ? &b->field : nullptr, b ? &b->dims : nullptr, dims, residues);
    for (int i = 0; i < outputs; ++i) {
      out[i].real = std::move(real[i]);
      out[i].field = std::move(residues[i]);
      out[i].has_field = exact;
    }
  } else {
    EvaluateNonlinear(t, a, leaves, out[0].real);
    out[0].field.clear();
    out[0].has_field = false;
  }
  for (int i = 0; i < outputs; ++i) {
    for (double v : out[i].real)
      if (!std::isfinite(v) || std::fabs(v) > 1e12) return false;
    // A tensor whose elements are all equal on random inputs is a constant
    // in disguise (a - a, a / a): it only breeds degenerate rules.
    const Value& o = out[i];
    if (o.real.size() > 1) {
      bool constant = true;
      if (o.has_field) {
        for (size_t e = 1; e < o.field.size() && constant; ++e) constant = o.field[e] == o.field[0];
      } else {
        for (size_t e = 1; e < o.real.size() && constant; ++e)
          constant = std::fabs(o.real[e] - o.real[0]) <= 1e-9 * (1.0 + std::fabs(o.real[0]));
      }
      if (constant) return false;
    }
  }
  return true;
}

std::vector<Value> MakeLeafValues(uint64_t seed) {
  const std::vector<Leaf>& pool = LeafPool();
  std::vector<Value> values(pool.size());
  std::mt19937_64 random(seed);
  // Mixed signs so Relu and MaxPool are not the identity; away from zero so
  // Div stays tame. Variances are positive.
  std::uniform_real_distribution<double> magnitude(0.25, 2.0);
  std::uniform_int_distribution<uint64_t> residue(1, field::kPrime - 1);
  for (size_t i = 0; i < pool.size(); ++i) {
    Value& value = values[i];
    value.dims = pool[i].dims;
    value.leaf = static_cast<int>(i);
    const int64_t n = NumElements(value.dims);
    value.structure = Mix(0x5eed0000ull + i);
    if (pool[i].kind == LeafKind::kShape || pool[i].kind == LeafKind::kPads) {
      value.real.assign(pool[i].ints.begin(), pool[i].ints.end());
      continue;
    }
    value.has_field = true;
    for (int64_t e = 0; e < n; ++e) {
      double v = magnitude(random);
      const bool positive = pool[i].name == "var" || (random() & 1);
      value.real.push_back(positive ? v : -v);
      value.field.push_back(residue(random));
    }
  }
  return values;
}

}  // namespace gsopt::rewrites::generator::internal
