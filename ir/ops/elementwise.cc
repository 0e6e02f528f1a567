// Schemas and shape inference for the elementwise op family: unary math and
// activations, numpy-broadcasting binary and variadic ops, comparisons and
// logic, Where, Cast/CastLike, Identity, Dropout, and the com.microsoft Gelu
// variants ONNX Runtime's fusions emit.
//
// Every op here keeps the shape of its (broadcast) inputs, so inference is
// mostly about the output dtype and about rejecting what is certainly wrong:
// mismatched input dtypes, dtypes no opset of the op accepts, shapes that can
// never broadcast, bad attribute values. Unknown dtypes and ranks propagate as
// unknown rather than failing. The accepted dtypes are the union over opsets
// 7 to the newest, so a model is not rejected for using a type that a later
// opset added.
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

// ---- dtype classes ----------------------------------------------------------

bool IsFloat8(DType d) {
  return d == DType::kFloat8E4M3FN || d == DType::kFloat8E4M3FNUZ || d == DType::kFloat8E5M2 ||
         d == DType::kFloat8E5M2FNUZ;
}
bool FloatTypes(DType d) { return IsFloatingPoint(d); }
bool FloatOrFloat8Types(DType d) { return IsFloatingPoint(d) || IsFloat8(d); }
bool NumericTypes(DType d) { return IsFloatingPoint(d) || IsInteger(d); }
bool SignedNumericTypes(DType d) { return IsFloatingPoint(d) || IsSignedInteger(d); }
bool IntegerTypes(DType d) { return IsInteger(d); }
bool BoolType(DType d) { return d == DType::kBool; }
bool NumericOrBoolTypes(DType d) { return NumericTypes(d) || d == DType::kBool; }
bool EqualTypes(DType d) { return NumericOrBoolTypes(d) || d == DType::kString; }
bool AnyType(DType) { return true; }
// Cast's dtypes: every numeric type, bool, string and the 8/4-bit floats and ints.
bool CastTypes(DType d) { return d != DType::kUndefined && d != DType::kComplex64 && d != DType::kComplex128; }

using DTypeClass = bool (*)(DType);

absl::string_view DescribeClass(DTypeClass types) {
  if (types == &FloatTypes) return "a floating-point type";
  if (types == &FloatOrFloat8Types) return "a floating-point type";
  if (types == &NumericTypes) return "a numeric type";
  if (types == &SignedNumericTypes) return "a floating-point or signed integer type";
  if (types == &IntegerTypes) return "an integer type";
  if (types == &BoolType) return "bool";
  if (types == &NumericOrBoolTypes) return "a numeric type or bool";
  if (types == &EqualTypes) return "a numeric type, bool or string";
  return "a supported type";
}

// Fails when input `i` has a known dtype outside `types`.
absl::Status CheckInputDType(const InferenceContext& ctx, int i, DTypeClass types) {
  DType d = ctx.input_type(i).dtype;
  if (d == DType::kUndefined || types(d)) return absl::OkStatus();
  return ctx.Error(absl::StrCat("input ", i, " has type ", DTypeName(d), ", expected ", DescribeClass(types)));
}

// The common dtype of the given inputs (kUndefined when none is known); an
// error when two known dtypes differ or the common one is not in `types`.
absl::StatusOr<DType> CommonDType(const InferenceContext& ctx, const std::vector<int>& inputs,
                                  DTypeClass types = AnyType) {
  DType common = DType::kUndefined;
  int common_input = -1;
  for (int i : inputs) {
    DType d = ctx.input_type(i).dtype;
    if (d == DType::kUndefined) continue;
    if (common == DType::kUndefined) {
      common = d;
      common_input = i;
    } else if (d != common) {
      return ctx.Error(absl::StrCat("input ", common_input, " has type ", DTypeName(common), " but input ", i,
                                    " has type ", DTypeName(d)));
    }
  }
  if (common_input >= 0) {
    if (absl::Status s = CheckInputDType(ctx, common_input, types); !s.ok()) return s;
  }
  return common;
}

// Numpy broadcast of the shapes of `inputs`.
absl::StatusOr<Shape> BroadcastInputs(const InferenceContext& ctx, const std::vector<int>& inputs) {
  Shape out = Shape::Scalar();
  for (int i : inputs) {
    absl::StatusOr<Shape> next = BroadcastShapes(out, ctx.input_type(i).shape);
    if (!next.ok()) return ctx.Error(next.status().message());
    out = *std::move(next);
  }
  return out;
}

std::vector<int> AllInputs(const InferenceContext& ctx) {
  std::vector<int> inputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(i);
  return inputs;
}

// Before opset 7 the binary ops broadcast only when the `broadcast` attribute
// was set, and then B aligned to A (at `axis`, or as a suffix); the result
// always had A's shape.
bool UsesLegacyBroadcast(const InferenceContext& ctx) { return ctx.opset() > 0 && ctx.opset() < 7; }

absl::StatusOr<Shape> BinaryShape(const InferenceContext& ctx) {
  if (UsesLegacyBroadcast(ctx)) return ctx.input_type(0).shape;
  return BroadcastInputs(ctx, {0, 1});
}

// ---- registration helpers ---------------------------------------------------

void Register(OpRegistry& registry, std::string name, int min_inputs, int max_inputs, int min_outputs,
              int max_outputs, ShapeInferenceFn fn, std::string domain = "") {
  registry.Register(OpSchema{std::move(domain), std::move(name), min_inputs, max_inputs, min_outputs,
                             max_outputs, std::move(fn)});
}

// Output 0 has input 0's type; input 0's dtype must be in `types`.
void RegisterUnary(OpRegistry& registry, std::string name, DTypeClass types, std::string domain = "") {
  Register(
      registry, std::move(name), 1, 1, 1, 1,
      [types](InferenceContext& ctx) -> absl::Status {
        if (absl::Status s = CheckInputDType(ctx, 0, types); !s.ok()) return s;
        ctx.set_output_type(0, ctx.input_type(0));
        return absl::OkStatus();
      },
      std::move(domain));
}

// Output 0 is bool with input 0's shape (IsNaN, IsInf).
void RegisterUnaryPredicate(OpRegistry& registry, std::string name, DTypeClass types) {
  Register(registry, std::move(name), 1, 1, 1, 1, [types](InferenceContext& ctx) -> absl::Status {
    if (absl::Status s = CheckInputDType(ctx, 0, types); !s.ok()) return s;
    ctx.set_output_type(0, TensorType{DType::kBool, ctx.input_type(0).shape});
    return absl::OkStatus();
  });
}

// Two inputs of one dtype in `types`, broadcast; the output has that dtype,
// or bool when `bool_output` (comparisons, logic).
void RegisterBinary(OpRegistry& registry, std::string name, DTypeClass types, bool bool_output = false) {
  Register(registry, std::move(name), 2, 2, 1, 1, [types, bool_output](InferenceContext& ctx) -> absl::Status {
    absl::StatusOr<DType> dtype = CommonDType(ctx, {0, 1}, types);
    if (!dtype.ok()) return dtype.status();
    absl::StatusOr<Shape> shape = BinaryShape(ctx);
    if (!shape.ok()) return shape.status();
    ctx.set_output_type(0, TensorType{bool_output ? DType::kBool : *dtype, *std::move(shape)});
    return absl::OkStatus();
  });
}

// One or more inputs of one dtype in `types`, all broadcast together.
void RegisterVariadic(OpRegistry& registry, std::string name, DTypeClass types) {
  Register(registry, std::move(name), 1, std::numeric_limits<int>::max(), 1, 1,
           [types](InferenceContext& ctx) -> absl::Status {
             std::vector<int> inputs = AllInputs(ctx);
             absl::StatusOr<DType> dtype = CommonDType(ctx, inputs, types);
             if (!dtype.ok()) return dtype.status();
             absl::StatusOr<Shape> shape = BroadcastInputs(ctx, inputs);
             if (!shape.ok()) return shape.status();
             ctx.set_output_type(0, TensorType{*dtype, *std::move(shape)});
             return absl::OkStatus();
           });
}

// ---- op-specific inference --------------------------------------------------

// ONNX asks for PRelu's slope to broadcast to X (unidirectionally), but ONNX
// Runtime broadcasts both ways; the CPU kernel does too, so the output is
// the two-way broadcast (X's shape whenever the model follows the spec).
absl::Status InferPRelu(InferenceContext& ctx) {
  absl::StatusOr<DType> dtype = CommonDType(ctx, {0, 1}, NumericTypes);
  if (!dtype.ok()) return dtype.status();
  absl::StatusOr<Shape> shape = BroadcastInputs(ctx, {0, 1});
  if (!shape.ok()) return shape.status();
  ctx.set_output_type(0, TensorType{*dtype, *std::move(shape)});
  return absl::OkStatus();
}

// Clip's min and max: attributes before opset 11, optional scalar inputs from 11.
absl::Status InferClip(InferenceContext& ctx) {
  std::vector<int> typed = {0};
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    typed.push_back(i);
    std::optional<int64_t> count = ctx.input_type(i).shape.num_elements();
    if (count.has_value() && *count != 1) {
      return ctx.Error(absl::StrCat(i == 1 ? "min" : "max", " must be a scalar, got shape ",
                                    ctx.input_type(i).shape.ToString()));
    }
  }
  absl::StatusOr<DType> dtype = CommonDType(ctx, typed, NumericTypes);
  if (!dtype.ok()) return dtype.status();
  ctx.set_output_type(0, TensorType{*dtype, ctx.input_type(0).shape});
  return absl::OkStatus();
}

absl::Status InferPow(InferenceContext& ctx) {
  if (absl::Status s = CheckInputDType(ctx, 0, NumericTypes); !s.ok()) return s;
  if (absl::Status s = CheckInputDType(ctx, 1, NumericTypes); !s.ok()) return s;
  absl::StatusOr<Shape> shape = BinaryShape(ctx);
  if (!shape.ok()) return shape.status();
  ctx.set_output_type(0, TensorType{ctx.input_type(0).dtype, *std::move(shape)});
  return absl::OkStatus();
}

absl::Status InferMod(InferenceContext& ctx) {
  int64_t fmod = ctx.node().GetInt("fmod", 0);
  if (fmod != 0 && fmod != 1) return ctx.Error(absl::StrCat("fmod must be 0 or 1, got ", fmod));
  absl::StatusOr<DType> dtype = CommonDType(ctx, {0, 1}, NumericTypes);
  if (!dtype.ok()) return dtype.status();
  absl::StatusOr<Shape> shape = BroadcastInputs(ctx, {0, 1});
  if (!shape.ok()) return shape.status();
  ctx.set_output_type(0, TensorType{*dtype, *std::move(shape)});
  return absl::OkStatus();
}

absl::Status InferBitShift(InferenceContext& ctx) {
  std::string direction = ctx.node().GetString("direction", "");
  if (direction != "LEFT" && direction != "RIGHT") {
    return ctx.Error(absl::StrCat("direction must be \"LEFT\" or \"RIGHT\", got \"", direction, "\""));
  }
  absl::StatusOr<DType> dtype = CommonDType(ctx, {0, 1}, IntegerTypes);
  if (!dtype.ok()) return dtype.status();
  absl::StatusOr<Shape> shape = BroadcastInputs(ctx, {0, 1});
  if (!shape.ok()) return shape.status();
  ctx.set_output_type(0, TensorType{*dtype, *std::move(shape)});
  return absl::OkStatus();
}

absl::Status InferWhere(InferenceContext& ctx) {
  if (absl::Status s = CheckInputDType(ctx, 0, BoolType); !s.ok()) return s;
  absl::StatusOr<DType> dtype = CommonDType(ctx, {1, 2});
  if (!dtype.ok()) return dtype.status();
  absl::StatusOr<Shape> shape = BroadcastInputs(ctx, {0, 1, 2});
  if (!shape.ok()) return shape.status();
  ctx.set_output_type(0, TensorType{*dtype, *std::move(shape)});
  return absl::OkStatus();
}

absl::Status InferCast(InferenceContext& ctx) {
  const Attribute* to = ctx.node().FindAttribute("to");
  if (to == nullptr || !to->is<int64_t>()) return ctx.Error("attribute 'to' (an int) is required");
  int64_t code = to->get<int64_t>();
  std::optional<DType> target =
      code > 0 && code <= std::numeric_limits<int32_t>::max() ? DTypeFromOnnx(static_cast<int32_t>(code))
                                                              : std::nullopt;
  if (!target.has_value() || !CastTypes(*target)) {
    return ctx.Error(absl::StrCat("'to' = ", code, " is not a data type Cast supports"));
  }
  if (absl::Status s = CheckInputDType(ctx, 0, CastTypes); !s.ok()) return s;
  ctx.set_output_type(0, TensorType{*target, ctx.input_type(0).shape});
  return absl::OkStatus();
}

absl::Status InferCastLike(InferenceContext& ctx) {
  if (absl::Status s = CheckInputDType(ctx, 0, CastTypes); !s.ok()) return s;
  if (absl::Status s = CheckInputDType(ctx, 1, CastTypes); !s.ok()) return s;
  ctx.set_output_type(0, TensorType{ctx.input_type(1).dtype, ctx.input_type(0).shape});
  return absl::OkStatus();
}

DType MaskDTypeOfDropout(int64_t opset, DType data) { return opset > 0 && opset < 10 ? data : DType::kBool; }

absl::Status InferDropout(InferenceContext& ctx) {
  if (absl::Status s = CheckInputDType(ctx, 0, FloatOrFloat8Types); !s.ok()) return s;
  if (ctx.has_input(1)) {
    if (absl::Status s = CheckInputDType(ctx, 1, FloatOrFloat8Types); !s.ok()) return s;
    std::optional<int64_t> count = ctx.input_type(1).shape.num_elements();
    if (count.has_value() && *count != 1) return ctx.Error("ratio must be a scalar");
  }
  if (ctx.has_input(2)) {
    if (absl::Status s = CheckInputDType(ctx, 2, BoolType); !s.ok()) return s;
  }
  const TensorType& x = ctx.input_type(0);
  ctx.set_output_type(0, x);
  // Opsets 7-9 type the mask like the data (T); ONNX Runtime's loader
  // rejects a model that declares it otherwise. From opset 10 it is bool.
  ctx.set_output_type(1, TensorType{MaskDTypeOfDropout(ctx.opset(), x.dtype), x.shape});
  return absl::OkStatus();
}

absl::Status InferGelu(InferenceContext& ctx) {
  std::string approximate = ctx.node().GetString("approximate", "none");
  if (approximate != "none" && approximate != "tanh") {
    return ctx.Error(absl::StrCat("approximate must be \"none\" or \"tanh\", got \"", approximate, "\""));
  }
  if (absl::Status s = CheckInputDType(ctx, 0, FloatTypes); !s.ok()) return s;
  ctx.set_output_type(0, ctx.input_type(0));
  return absl::OkStatus();
}

absl::Status InferIsInf(InferenceContext& ctx) {
  if (absl::Status s = CheckInputDType(ctx, 0, FloatOrFloat8Types); !s.ok()) return s;
  ctx.set_output_type(0, TensorType{DType::kBool, ctx.input_type(0).shape});
  return absl::OkStatus();
}

// com.microsoft FastGelu(X, bias?) and BiasGelu(A, B): the bias is added to
// the input (broadcast along the last axis) before the activation.
absl::Status InferBiasedGelu(InferenceContext& ctx) {
  if (absl::Status s = CheckInputDType(ctx, 0, FloatTypes); !s.ok()) return s;
  if (!ctx.has_input(1)) {
    ctx.set_output_type(0, ctx.input_type(0));
    return absl::OkStatus();
  }
  absl::StatusOr<DType> dtype = CommonDType(ctx, {0, 1});
  if (!dtype.ok()) return dtype.status();
  absl::StatusOr<Shape> shape = BroadcastInputs(ctx, {0, 1});
  if (!shape.ok()) return shape.status();
  ctx.set_output_type(0, TensorType{*dtype, *std::move(shape)});
  return absl::OkStatus();
}

absl::Status InferIdentity(InferenceContext& ctx) {
  ctx.set_output_type(0, ctx.input_type(0));
  return absl::OkStatus();
}

}  // namespace

void RegisterElementwiseOps(OpRegistry& registry) {
  // Unary math.
  RegisterUnary(registry, "Abs", NumericTypes);
  RegisterUnary(registry, "Neg", SignedNumericTypes);
  RegisterUnary(registry, "Sign", NumericTypes);
  for (const char* name : {"Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sin", "Cos", "Tan",
                           "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh"}) {
    RegisterUnary(registry, name, FloatTypes);
  }
  RegisterUnary(registry, "Erf", NumericTypes);  // opset 9 also took integers
  RegisterUnaryPredicate(registry, "IsNaN", FloatOrFloat8Types);
  Register(registry, "IsInf", 1, 1, 1, 1, InferIsInf);
  RegisterUnary(registry, "Not", BoolType);
  RegisterUnary(registry, "BitwiseNot", IntegerTypes);

  // Activations.
  RegisterUnary(registry, "Relu", SignedNumericTypes);
  for (const char* name : {"LeakyRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
                           "Softplus", "Softsign", "Mish", "ThresholdedRelu"}) {
    RegisterUnary(registry, name, FloatTypes);
  }
  RegisterUnary(registry, "Shrink", NumericTypes);
  Register(registry, "PRelu", 2, 2, 1, 1, InferPRelu);
  Register(registry, "Gelu", 1, 1, 1, 1, InferGelu);
  Register(registry, "Clip", 1, 3, 1, 1, InferClip);

  // Binary arithmetic and logic with numpy broadcasting.
  for (const char* name : {"Add", "Sub", "Mul", "Div"}) RegisterBinary(registry, name, NumericTypes);
  Register(registry, "Pow", 2, 2, 1, 1, InferPow);
  Register(registry, "Mod", 2, 2, 1, 1, InferMod);
  for (const char* name : {"And", "Or", "Xor"}) RegisterBinary(registry, name, BoolType, /*bool_output=*/true);
  RegisterBinary(registry, "Equal", EqualTypes, /*bool_output=*/true);
  for (const char* name : {"Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    RegisterBinary(registry, name, NumericTypes, /*bool_output=*/true);
  }
  Register(registry, "BitShift", 2, 2, 1, 1, InferBitShift);
  for (const char* name : {"BitwiseAnd", "BitwiseOr", "BitwiseXor"}) RegisterBinary(registry, name, IntegerTypes);
  for (const char* name : {"Max", "Min"}) RegisterVariadic(registry, name, NumericTypes);
  for (const char* name : {"Sum", "Mean"}) RegisterVariadic(registry, name, FloatTypes);
  Register(registry, "Where", 3, 3, 1, 1, InferWhere);

  // Type conversion and pass-through.
  Register(registry, "Cast", 1, 1, 1, 1, InferCast);
  Register(registry, "CastLike", 2, 2, 1, 1, InferCastLike);
  Register(registry, "Identity", 1, 1, 1, 1, InferIdentity);
  Register(registry, "Dropout", 1, 3, 1, 2, InferDropout);

  // ONNX Runtime contrib ops that its Gelu fusions produce.
  RegisterUnary(registry, "Gelu", FloatTypes, "com.microsoft");
  RegisterUnary(registry, "QuickGelu", FloatTypes, "com.microsoft");
  Register(registry, "FastGelu", 1, 2, 1, 1, InferBiasedGelu, "com.microsoft");
  Register(registry, "BiasGelu", 2, 2, 1, 1, InferBiasedGelu, "com.microsoft");
}

}  // namespace gsopt::ir
