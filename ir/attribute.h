// Node attributes: the ONNX attribute kinds as one tagged value. Attributes
// gsopt does not interpret (subgraphs, sparse tensors, type protos) are kept
// as their serialized ONNX AttributeProto so that export writes them back
// byte for byte; the names of outer-scope values a subgraph reads are kept
// beside it so that dead-code elimination and sorting still see the uses.
#ifndef GSOPT_IR_ATTRIBUTE_H_
#define GSOPT_IR_ATTRIBUTE_H_

#include "absl/strings/string_view.h"
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "ir/tensor.h"

namespace gsopt::ir {

struct OpaqueAttribute {
  std::string serialized_proto;                 // onnx::AttributeProto bytes
  std::vector<std::string> outer_scope_inputs;  // values a subgraph reads from outside
  bool operator==(const OpaqueAttribute& o) const {
    return serialized_proto == o.serialized_proto && outer_scope_inputs == o.outer_scope_inputs;
  }
};

enum class AttributeKind { kInt, kFloat, kString, kTensor, kInts, kFloats, kStrings, kTensors, kOpaque };

class Attribute {
 public:
  using Storage = std::variant<int64_t, float, std::string, Tensor, std::vector<int64_t>,
                               std::vector<float>, std::vector<std::string>,
                               std::vector<Tensor>, OpaqueAttribute>;

  Attribute() : value_(int64_t{0}) {}
  Attribute(int64_t v) : value_(v) {}                                // NOLINT
  Attribute(int v) : value_(int64_t{v}) {}                           // NOLINT
  Attribute(float v) : value_(v) {}                                  // NOLINT
  Attribute(std::string v) : value_(std::move(v)) {}                 // NOLINT
  Attribute(const char* v) : value_(std::string(v)) {}               // NOLINT
  Attribute(Tensor v) : value_(std::move(v)) {}                      // NOLINT
  Attribute(std::vector<int64_t> v) : value_(std::move(v)) {}        // NOLINT
  Attribute(std::vector<float> v) : value_(std::move(v)) {}          // NOLINT
  Attribute(std::vector<std::string> v) : value_(std::move(v)) {}    // NOLINT
  Attribute(std::vector<Tensor> v) : value_(std::move(v)) {}         // NOLINT
  Attribute(OpaqueAttribute v) : value_(std::move(v)) {}             // NOLINT

  AttributeKind kind() const { return static_cast<AttributeKind>(value_.index()); }
  template <typename T>
  bool is() const {
    return std::holds_alternative<T>(value_);
  }
  template <typename T>
  const T& get() const {
    return std::get<T>(value_);
  }
  const Storage& storage() const { return value_; }

  bool operator==(const Attribute& other) const;
  bool operator!=(const Attribute& other) const { return !(*this == other); }
  size_t Hash() const;

 private:
  Storage value_;
};

absl::string_view AttributeKindName(AttributeKind kind);

// Ordered so that printing, hashing and export are deterministic.
using AttributeMap = std::map<std::string, Attribute, std::less<>>;

}  // namespace gsopt::ir

#endif  // GSOPT_IR_ATTRIBUTE_H_
