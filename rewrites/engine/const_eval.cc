// Evaluates rule expressions over constant tensors by running gsopt's CPU
// kernels on them; see const_eval.h.
#include "rewrites/engine/const_eval.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"

namespace gsopt::rewrites::internal {
namespace {

using ir::Attribute;
using ir::DType;
using ir::Tensor;

// Kernels are run at this opset: every function below uses an op whose
// semantics are the same at every opset from 13 on (inputs, not attributes,
// carry shapes and pads).
constexpr int64_t kEvalOpset = 17;

absl::StatusOr<Tensor> RunKernel(const std::string& op, std::vector<const Tensor*> inputs,
                                 ir::AttributeMap attributes = {}) {
  const backend::cpu::KernelFn* kernel = backend::cpu::KernelRegistry::Global().Find("", op);
  if (kernel == nullptr) return absl::InternalError(absl::StrCat("no kernel for ", op));
  ir::Node node;
  node.name = absl::StrCat("rule_", op);
  node.op_type = op;
  node.attributes = std::move(attributes);
  node.inputs.assign(inputs.size(), 0);
  node.outputs = {0};
  std::vector<Tensor> outputs(1);
  backend::cpu::KernelContext ctx(node, kEvalOpset, std::move(inputs), &outputs);
  if (absl::Status status = (*kernel)(ctx); !status.ok()) return status;
  return std::move(outputs[0]);
}

absl::StatusOr<Tensor> CastTo(const Tensor& tensor, DType dtype) {
  if (tensor.dtype() == dtype) return tensor;
  return RunKernel("Cast", {&tensor}, {{"to", Attribute(static_cast<int64_t>(dtype))}});
}

ExprValue Strong(Tensor tensor) { return ExprValue{std::move(tensor), std::nullopt, false}; }
ExprValue Weak(Tensor tensor) { return ExprValue{std::move(tensor), std::nullopt, true}; }

absl::StatusOr<std::vector<int64_t>> ToInts(const ExprValue& value, absl::string_view what) {
  if (!value.tensor) return absl::InvalidArgumentError(absl::StrCat(what, " must be numeric"));
  std::vector<int64_t> out;
  for (int64_t i = 0; i < value.tensor->num_elements(); ++i) out.push_back(value.tensor->GetAsInt64(i));
  return out;
}

absl::StatusOr<int64_t> ToInt(const ExprValue& value, absl::string_view what) {
  absl::StatusOr<std::vector<int64_t>> ints = ToInts(value, what);
  if (!ints.ok()) return ints.status();
  if (ints->size() != 1) return absl::InvalidArgumentError(absl::StrCat(what, " must be one number"));
  return (*ints)[0];
}

}  // namespace

absl::StatusOr<ExprValue> AttributeToValue(const Attribute& attribute) {
  switch (attribute.kind()) {
    case ir::AttributeKind::kInt:
      return Weak(Tensor::Scalar<int64_t>(attribute.get<int64_t>()));
    case ir::AttributeKind::kFloat:
      return Weak(Tensor::Scalar<double>(attribute.get<float>()));
    case ir::AttributeKind::kInts: {
      const auto& v = attribute.get<std::vector<int64_t>>();
      return Weak(Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v));
    }
    case ir::AttributeKind::kFloats: {
      const auto& f = attribute.get<std::vector<float>>();
      std::vector<double> v(f.begin(), f.end());
      return Weak(Tensor::FromVector<double>({static_cast<int64_t>(v.size())}, v));
    }
    case ir::AttributeKind::kString:
      return ExprValue{std::nullopt, attribute.get<std::string>(), true};
    case ir::AttributeKind::kTensor:
      return Strong(attribute.get<Tensor>());
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("a ", ir::AttributeKindName(attribute.kind()), " attribute cannot be used in an expression"));
  }
}

Attribute LiteralToAttribute(const rules::Literal& literal) {
  if (const auto* i = std::get_if<int64_t>(&literal)) return Attribute(*i);
  if (const auto* d = std::get_if<double>(&literal)) return Attribute(static_cast<float>(*d));
  if (const auto* s = std::get_if<std::string>(&literal)) return Attribute(*s);
  if (const auto* is = std::get_if<std::vector<int64_t>>(&literal)) return Attribute(*is);
  const auto& ds = std::get<std::vector<double>>(literal);
  return Attribute(std::vector<float>(ds.begin(), ds.end()));
}

bool SameNumbers(const Tensor& a, const Tensor& b) {
  if (a.num_elements() != b.num_elements()) return false;
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    if (a.GetAsDouble(i) != b.GetAsDouble(i)) return false;
  }
  return true;
}

bool ExprEvaluator::IsLet(const std::string& variable) const {
  for (const rules::LetBinding& let : rule_.rule.lets) {
    if (let.variable == variable) return true;
  }
  return false;
}

absl::StatusOr<Tensor> ExprEvaluator::LetValue(const std::string& variable) {
  if (auto it = lets_.find(variable); it != lets_.end()) return it->second;
  for (const rules::LetBinding& let : rule_.rule.lets) {
    if (let.variable != variable) continue;
    absl::StatusOr<ExprValue> value = Evaluate(let.value);
    if (!value.ok()) return value.status();
    if (!value->tensor) return absl::InvalidArgumentError(absl::StrCat("let %", variable, " is not a tensor"));
    lets_.emplace(variable, *value->tensor);
    return *value->tensor;
  }
  return absl::NotFoundError(absl::StrCat("no let %", variable));
}

absl::StatusOr<ExprValue> ExprEvaluator::Evaluate(const rules::ConstExpr& expr) {
  using Kind = rules::ConstExpr::Kind;
  switch (expr.kind) {
    case Kind::kLiteral: {
      const rules::Literal& literal = expr.literal;
      if (const auto* i = std::get_if<int64_t>(&literal)) return Weak(Tensor::Scalar<int64_t>(*i));
      if (const auto* d = std::get_if<double>(&literal)) return Weak(Tensor::Scalar<double>(*d));
      if (const auto* s = std::get_if<std::string>(&literal)) return ExprValue{std::nullopt, *s, true};
      if (const auto* is = std::get_if<std::vector<int64_t>>(&literal)) {
        return Weak(Tensor::FromVector<int64_t>({static_cast<int64_t>(is->size())}, *is));
      }
      const auto& ds = std::get<std::vector<double>>(literal);
      return Weak(Tensor::FromVector<double>({static_cast<int64_t>(ds.size())}, ds));
    }
    case Kind::kParameter: {
      auto it = match_.params.find(expr.name);
      if (it == match_.params.end()) return absl::InvalidArgumentError(absl::StrCat("?", expr.name, " is unbound"));
      if (const auto* attribute = std::get_if<Attribute>(&it->second)) return AttributeToValue(*attribute);
      return absl::InvalidArgumentError(absl::StrCat("?", expr.name, " is a set of attributes, not a value"));
    }
    case Kind::kVariable: {
      if (IsLet(expr.name)) {
        absl::StatusOr<Tensor> let = LetValue(expr.name);
        if (!let.ok()) return let.status();
        return Strong(*let);
      }
      auto it = match_.values.find(expr.name);
      if (it == match_.values.end()) return absl::InvalidArgumentError(absl::StrCat("%", expr.name, " is unbound"));
      const ir::Value& value = graph_.value(it->second);
      if (!value.is_constant()) {
        return absl::FailedPreconditionError(absl::StrCat("%", expr.name, " ('", value.name, "') is not a constant"));
      }
      return Strong(*value.initializer);
    }
    case Kind::kCall:
      return Call(expr);
  }
  return absl::InternalError("unknown expression kind");
}

absl::StatusOr<const ir::Value*> ExprEvaluator::BoundValue(const rules::ConstExpr& var, absl::string_view fn) const {
  auto it = match_.values.find(var.name);
  if (var.kind != rules::ConstExpr::Kind::kVariable || it == match_.values.end()) {
    return absl::InvalidArgumentError(absl::StrCat(fn, "() takes a bound source variable"));
  }
  return &graph_.value(it->second);
}

absl::StatusOr<ExprValue> ExprEvaluator::Call(const rules::ConstExpr& expr) {
  const std::string& fn = expr.name;
  // dim() reads a shape, not data: its variable need not be constant.
  if (fn == "dim") {
    const rules::ConstExpr& var = expr.args[0];
    absl::StatusOr<const ir::Value*> value = BoundValue(var, "dim");
    if (!value.ok()) return value.status();
    absl::StatusOr<ExprValue> axis_value = Evaluate(expr.args[1]);
    if (!axis_value.ok()) return axis_value.status();
    absl::StatusOr<int64_t> axis = ToInt(*axis_value, "dim() axis");
    if (!axis.ok()) return axis.status();
    const ir::Shape& shape = (*value)->type.shape;
    int64_t rank = shape.rank();
    if (rank < 0) return absl::FailedPreconditionError(absl::StrCat("%", var.name, " has unknown rank"));
    int64_t a = *axis < 0 ? *axis + rank : *axis;
    if (a < 0 || a >= rank) return absl::InvalidArgumentError(absl::StrCat("dim() axis ", *axis, " out of range"));
    if (!shape.dim(a).is_static()) {
      return absl::FailedPreconditionError(absl::StrCat("%", var.name, " dim ", a, " is not static"));
    }
    return Weak(Tensor::Scalar<int64_t>(shape.dim(a).value()));
  }

  if (fn == "shape_of") {  // like dim(), reads a type: the static dims as a 1-D int64 tensor
    const rules::ConstExpr& var = expr.args[0];
    absl::StatusOr<const ir::Value*> value = BoundValue(var, "shape_of");
    if (!value.ok()) return value.status();
    const ir::Shape& shape = (*value)->type.shape;
    if (!shape.is_static()) return absl::FailedPreconditionError(absl::StrCat("%", var.name, " has no static shape"));
    std::vector<int64_t> dims = shape.static_dims();
    return Strong(Tensor::FromVector<int64_t>({static_cast<int64_t>(dims.size())}, dims));
  }
  if (fn == "rank_of") {  // like dim(), reads a type
    const rules::ConstExpr& var = expr.args[0];
    absl::StatusOr<const ir::Value*> value = BoundValue(var, "rank_of");
    if (!value.ok()) return value.status();
    int64_t rank = (*value)->type.shape.rank();
    if (rank < 0) return absl::FailedPreconditionError(absl::StrCat("%", var.name, " has unknown rank"));
    return Weak(Tensor::Scalar<int64_t>(rank));
  }

  std::vector<ExprValue> args;
  for (const rules::ConstExpr& arg : expr.args) {
    absl::StatusOr<ExprValue> value = Evaluate(arg);
    if (!value.ok()) return value.status();
    args.push_back(*std::move(value));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].tensor) return absl::InvalidArgumentError(absl::StrCat(fn, "() argument ", i + 1, " is not numeric"));
  }

  if (fn == "add" || fn == "sub" || fn == "mul" || fn == "div" || fn == "matmul") {
    ExprValue& a = args[0];
    ExprValue& b = args[1];
    // A weak operand adopts the strong one's dtype; two weak ones compute in their own.
    if (a.weak && !b.weak) {
      absl::StatusOr<Tensor> cast = CastTo(*a.tensor, b.tensor->dtype());
      if (!cast.ok()) return cast.status();
      a.tensor = *cast;
    } else if (b.weak && !a.weak) {
      absl::StatusOr<Tensor> cast = CastTo(*b.tensor, a.tensor->dtype());
      if (!cast.ok()) return cast.status();
      b.tensor = *cast;
    } else if (a.tensor->dtype() != b.tensor->dtype()) {  // two weak ones: an int and a float
      absl::StatusOr<Tensor> ca = CastTo(*a.tensor, DType::kFloat64);
      absl::StatusOr<Tensor> cb = CastTo(*b.tensor, DType::kFloat64);
      if (!ca.ok()) return ca.status();
      if (!cb.ok()) return cb.status();
      a.tensor = *ca;
      b.tensor = *cb;
    }
    static const std::map<std::string, std::string> kOps = {
        {"add", "Add"}, {"sub", "Sub"}, {"mul", "Mul"}, {"div", "Div"}, {"matmul", "MatMul"}};
    absl::StatusOr<Tensor> out = RunKernel(kOps.at(fn), {&*a.tensor, &*b.tensor});
    if (!out.ok()) return out.status();
    return ExprValue{*std::move(out), std::nullopt, a.weak && b.weak};
  }
  if (fn == "sqrt" || fn == "neg" || fn == "reciprocal") {
    static const std::map<std::string, std::string> kOps = {
        {"sqrt", "Sqrt"}, {"neg", "Neg"}, {"reciprocal", "Reciprocal"}};
    absl::StatusOr<Tensor> out = RunKernel(kOps.at(fn), {&*args[0].tensor});
    if (!out.ok()) return out.status();
    return ExprValue{*std::move(out), std::nullopt, args[0].weak};
  }
  if (fn == "reshape") {
    absl::StatusOr<Tensor> shape = CastTo(*args[1].tensor, DType::kInt64);
    if (!shape.ok()) return shape.status();
    absl::StatusOr<Tensor> out = RunKernel("Reshape", {&*args[0].tensor, &*shape});
    if (!out.ok()) return out.status();
    return ExprValue{*std::move(out), std::nullopt, args[0].weak};
  }
  if (fn == "transpose") {
    absl::StatusOr<std::vector<int64_t>> perm = ToInts(args[1], "transpose() permutation");
    if (!perm.ok()) return perm.status();
    absl::StatusOr<Tensor> out = RunKernel("Transpose", {&*args[0].tensor}, {{"perm", Attribute(*perm)}});
    if (!out.ok()) return out.status();
    return ExprValue{*std::move(out), std::nullopt, args[0].weak};
  }
  if (fn == "concat") {
    absl::StatusOr<int64_t> axis = ToInt(args[0], "concat() axis");
    if (!axis.ok()) return axis.status();
    std::vector<const Tensor*> parts;
    for (size_t i = 1; i < args.size(); ++i) parts.push_back(&*args[i].tensor);
    absl::StatusOr<Tensor> out = RunKernel("Concat", parts, {{"axis", Attribute(*axis)}});
    if (!out.ok()) return out.status();
    return Strong(*std::move(out));
  }
  if (fn == "pad_kernel") {
    // Zero-pads a convolution kernel's spatial dims: pads lists the begin
    // pads of each spatial dim, then the end pads, as Conv's `pads` does.
    const Tensor& w = *args[0].tensor;
    absl::StatusOr<std::vector<int64_t>> pads = ToInts(args[1], "pad_kernel() pads");
    if (!pads.ok()) return pads.status();
    int64_t spatial = w.rank() - 2;
    if (spatial < 1 || static_cast<int64_t>(pads->size()) != 2 * spatial) {
      return absl::InvalidArgumentError(
          absl::StrCat("pad_kernel() needs 2 pads per spatial dim of a rank-", w.rank(), " kernel"));
    }
    std::vector<int64_t> full(static_cast<size_t>(2 * w.rank()), 0);
    for (int64_t i = 0; i < spatial; ++i) {
      full[static_cast<size_t>(2 + i)] = (*pads)[static_cast<size_t>(i)];
      full[static_cast<size_t>(w.rank() + 2 + i)] = (*pads)[static_cast<size_t>(spatial + i)];
    }
    Tensor pads_tensor = Tensor::FromVector<int64_t>({static_cast<int64_t>(full.size())}, full);
    absl::StatusOr<Tensor> out = RunKernel("Pad", {&w, &pads_tensor});
    if (!out.ok()) return out.status();
    return Strong(*std::move(out));
  }
  if (fn == "slice") {
    // slice(t, axis, start, end): elements start..end-1 along axis (a copy).
    const Tensor& t = *args[0].tensor;
    absl::StatusOr<int64_t> axis = ToInt(args[1], "slice() axis");
    absl::StatusOr<int64_t> start = ToInt(args[2], "slice() start");
    absl::StatusOr<int64_t> end = ToInt(args[3], "slice() end");
    if (!axis.ok()) return axis.status();
    if (!start.ok()) return start.status();
    if (!end.ok()) return end.status();
    Tensor starts = Tensor::FromVector<int64_t>({1}, {*start});
    Tensor ends = Tensor::FromVector<int64_t>({1}, {*end});
    Tensor axes = Tensor::FromVector<int64_t>({1}, {*axis});
    absl::StatusOr<Tensor> out = RunKernel("Slice", {&t, &starts, &ends, &axes});
    if (!out.ok()) return out.status();
    return ExprValue{*std::move(out), std::nullopt, args[0].weak};
  }
  if (fn == "compose_perm") {
    // Transpose(Transpose(x, p), q) == Transpose(x, r) with r[i] = p[q[i]].
    absl::StatusOr<std::vector<int64_t>> p = ToInts(args[0], "compose_perm() first permutation");
    absl::StatusOr<std::vector<int64_t>> q = ToInts(args[1], "compose_perm() second permutation");
    if (!p.ok()) return p.status();
    if (!q.ok()) return q.status();
    const int64_t n = static_cast<int64_t>(p->size());
    if (static_cast<int64_t>(q->size()) != n) return absl::InvalidArgumentError("compose_perm() of different ranks");
    std::vector<int64_t> r(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      int64_t qi = (*q)[static_cast<size_t>(i)];
      if (qi < 0 || qi >= n) return absl::InvalidArgumentError("compose_perm() needs permutations");
      r[static_cast<size_t>(i)] = (*p)[static_cast<size_t>(qi)];
    }
    return Weak(Tensor::FromVector<int64_t>({n}, r));
  }
  if (fn == "iota") {
    absl::StatusOr<int64_t> n = ToInt(args[0], "iota() length");
    if (!n.ok()) return n.status();
    if (*n < 0 || *n > 1024) return absl::InvalidArgumentError("iota() length must be in [0, 1024]");
    std::vector<int64_t> values(static_cast<size_t>(*n));
    for (int64_t i = 0; i < *n; ++i) values[static_cast<size_t>(i)] = i;
    return Weak(Tensor::FromVector<int64_t>({*n}, values));
  }
  if (fn == "mod") {
    absl::StatusOr<int64_t> a = ToInt(args[0], "mod() dividend");
    absl::StatusOr<int64_t> b = ToInt(args[1], "mod() divisor");
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    if (*b == 0) return absl::InvalidArgumentError("mod() by zero");
    return Weak(Tensor::Scalar<int64_t>(*a % *b));
  }
  if (fn == "regroup_kernel") {
    // A Conv with G groups has weight [Cout, Cin/G, k...]; the same Conv
    // with G/k groups has weight [Cout, k*Cin/G, k...] where output channel
    // o of old group g reads only the slice of new group g/k that old group
    // g covered: a block-diagonal kernel, zero elsewhere.
    const Tensor& w = *args[0].tensor;
    absl::StatusOr<int64_t> groups = ToInt(args[1], "regroup_kernel() groups");
    absl::StatusOr<int64_t> factor = ToInt(args[2], "regroup_kernel() factor");
    if (!groups.ok()) return groups.status();
    if (!factor.ok()) return factor.status();
    if (w.rank() < 3 || *factor < 1 || *groups % *factor != 0 || w.dim(0) % *groups != 0) {
      return absl::InvalidArgumentError("regroup_kernel() needs groups divisible by the factor and by Cout");
    }
    const int64_t cout = w.dim(0), cin_per_group = w.dim(1), k = *factor;
    const int64_t out_per_group = cout / *groups;
    int64_t spatial = 1;
    for (int64_t i = 2; i < w.rank(); ++i) spatial *= w.dim(i);
    std::vector<int64_t> dims = w.dims();
    dims[1] = cin_per_group * k;
    absl::StatusOr<Tensor> out = Tensor::Create(w.dtype(), dims);
    if (!out.ok()) return out.status();
    const int64_t element = ir::ByteSizeFor(w.dtype(), 1);
    if (element * w.num_elements() != w.byte_size()) {
      return absl::UnimplementedError("regroup_kernel() needs a whole-byte dtype");
    }
    const std::byte* src = w.raw_data();
    std::byte* dst = out->mutable_raw_data();               // zero-initialized
    const int64_t row = cin_per_group * spatial * element;  // one output channel's old weights
    for (int64_t o = 0; o < cout; ++o) {
      int64_t position_in_new_group = (o / out_per_group) % k;
      std::memcpy(dst + (o * k + position_in_new_group) * row, src + o * row, static_cast<size_t>(row));
    }
    return Strong(*std::move(out));
  }
  if (fn == "band_kernel") {
    // The 1x1 Conv kernel [C, C, 1, 1] that sums, for each channel c, the
    // channels of LRN's window: c - floor((size-1)/2) .. c + ceil((size-1)/2).
    absl::StatusOr<int64_t> channels = ToInt(args[0], "band_kernel() channels");
    absl::StatusOr<int64_t> size = ToInt(args[1], "band_kernel() size");
    if (!channels.ok()) return channels.status();
    if (!size.ok()) return size.status();
    if (args[2].tensor->num_elements() != 1) return absl::InvalidArgumentError("band_kernel() value must be a scalar");
    const int64_t c = *channels, n = *size;
    if (c < 1 || n < 1 || c > 4096) return absl::InvalidArgumentError("band_kernel() needs 1 <= channels <= 4096");
    const float value = static_cast<float>(args[2].tensor->GetAsDouble(0));
    Tensor w = Tensor::FromVector<float>({c, c, 1, 1}, std::vector<float>(static_cast<size_t>(c * c), 0.0f));
    float* data = w.mutable_data<float>();
    for (int64_t out = 0; out < c; ++out) {
      int64_t lo = std::max<int64_t>(0, out - (n - 1) / 2);
      int64_t hi = std::min<int64_t>(c - 1, out + (n - 1 + 1) / 2);  // ceil((n-1)/2)
      for (int64_t in = lo; in <= hi; ++in) data[out * c + in] = value;
    }
    return Strong(std::move(w));
  }
  if (fn == "full") {
    // full(dims, value): a float32 tensor of `dims` filled with `value`
    // (a strong tensor value keeps its dtype).
    absl::StatusOr<std::vector<int64_t>> dims = ToInts(args[0], "full() dims");
    if (!dims.ok()) return dims.status();
    if (args[1].tensor->num_elements() != 1) return absl::InvalidArgumentError("full() value must be a scalar");
    DType dtype = args[1].weak ? DType::kFloat32 : args[1].tensor->dtype();
    absl::StatusOr<Tensor> out = Tensor::Create(dtype, *dims);
    if (!out.ok()) return out.status();
    const double value = args[1].tensor->GetAsDouble(0);
    for (int64_t i = 0; i < out->num_elements(); ++i) out->SetFromDouble(i, value);
    return Strong(*std::move(out));
  }
  if (fn == "ints") {
    std::vector<int64_t> values;
    for (size_t i = 0; i < args.size(); ++i) {
      absl::StatusOr<int64_t> v = ToInt(args[i], "ints() argument");
      if (!v.ok()) return v.status();
      values.push_back(*v);
    }
    return Strong(Tensor::FromVector<int64_t>({static_cast<int64_t>(values.size())}, values));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown function ", fn, "()"));
}

}  // namespace gsopt::rewrites::internal
