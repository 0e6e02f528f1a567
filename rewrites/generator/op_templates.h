// Internal to the rule generator: the op templates of the shared op set, the
// pool of leaf tensors graphs are built over, and the evaluation of one
// template on concrete values. Every value is carried in double precision;
// values computed by field templates only are also carried exactly in Z_p
// (p = verifier::field::kPrime, the same field as verifier/random/field_eval),
// so graphs built from multilinear ops get exact fingerprints.
#ifndef GSOPT_REWRITES_GENERATOR_OP_TEMPLATES_H_
#define GSOPT_REWRITES_GENERATOR_OP_TEMPLATES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ir/attribute.h"

namespace gsopt::rewrites::generator::internal {

using Dims = std::vector<int64_t>;

// What a leaf of the pool may be used as.
enum class LeafKind : uint8_t {
  kTensor,   // a float operand of any template
  kScalar,   // only the multiplier of `scale`
  kBnParam,  // only a parameter of `batchnorm` (scale, bias, mean, var, in that order)
  kShape,    // only the shape operand of `reshape` (a constant int64 tensor)
  kPads,     // only the pads operand of `enlarge` (a constant int64 tensor)
};

struct Leaf {
  std::string name;
  LeafKind kind = LeafKind::kTensor;
  Dims dims;
  std::vector<int64_t> ints;  // the value of a kShape / kPads leaf
  int kernel = 0;             // 1 or 3 for conv weight leaves: their spatial dims are pinned in rules
  bool is_float() const { return kind == LeafKind::kTensor || kind == LeafKind::kScalar || kind == LeafKind::kBnParam; }
};

const std::vector<Leaf>& LeafPool();
// Indices of the four batchnorm parameter leaves in LeafPool().
const std::vector<int>& BatchNormParamLeaves();

enum Template : uint8_t {
  kMatMul,
  kConv1,
  kConv3,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kScale,
  kConcat0,
  kConcat1,
  kSplit0,
  kSplit1,
  kTranspose,
  kReshape,
  kEnlarge,
  kAvgPool,
  kReduceMean,
  kRelu,
  kSigmoid,
  kTanh,
  kErf,
  kSqrt,
  kMaxPool,
  kBatchNorm,
  kNumTemplates,
  kIdentity = kNumTemplates,  // not enumerated: a graph that returns leaves unchanged
};

enum class Form : uint8_t {
  kUnary,        // one value operand (batchnorm's parameters are fixed leaves)
  kBinary,       // two value operands
  kLeafOperand,  // one value operand and one leaf of `leaf_operand` kind
};

struct TemplateInfo {
  const char* name;     // as in OpTemplateNames()
  const char* op;       // ONNX op type
  const char* display;  // in rule comments: "Conv3x3", "Concat0", ...
  Form form;
  LeafKind leaf_operand;
  int outputs;
  bool field;  // exact in Z_p
  bool commutative;
};

const TemplateInfo& Info(int t);
// The node's attributes as rule-table text ("{pads=[0, 0, 0, 0]}" or "").
std::string AttributeText(int t);
ir::AttributeMap Attributes(int t);

// A concrete value: a leaf or an op output.
struct Value {
  Dims dims;
  int leaf = -1;                // pool index for a leaf
  std::vector<double> real;     // row-major
  std::vector<uint64_t> field;  // row-major residues, when has_field
  bool has_field = false;
  uint64_t structure = 0;  // structural hash: equal for equal expressions
  bool operand() const;    // may be a value operand of a template
};

// The output dims of template `t` on operands `a` (and `b` for binary or
// leaf-operand templates); false when the template does not apply.
bool OutputDims(int t, const Value& a, const Value* b, Dims out[2]);

// Evaluates `t`; outputs get dims, values and has_field (not `structure`).
// False when a value is not finite (sqrt of a negative, overflow) or is a
// constant (all elements equal), which makes the graph degenerate.
bool Evaluate(int t, const Value& a, const Value* b, const std::vector<Value>& leaves, Value out[2]);

// Random leaf values for one input set.
std::vector<Value> MakeLeafValues(uint64_t seed);

uint64_t Mix(uint64_t x);
int64_t NumElements(const Dims& dims);

}  // namespace gsopt::rewrites::generator::internal

#endif  // GSOPT_REWRITES_GENERATOR_OP_TEMPLATES_H_
