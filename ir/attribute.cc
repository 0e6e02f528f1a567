// Equality and hashing of attributes (tensors compare by content).
#include "ir/attribute.h"

#include <cstring>

#include "absl/hash/hash.h"

namespace gsopt::ir {
namespace {

// Attributes compare by bits, so that a NaN attribute equals itself and a
// graph is always structurally equal to its copy.
uint32_t FloatBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

}  // namespace

bool Attribute::operator==(const Attribute& other) const {
  if (value_.index() != other.value_.index()) return false;
  if (const auto* t = std::get_if<Tensor>(&value_)) return t->BitwiseEquals(other.get<Tensor>());
  if (const auto* ts = std::get_if<std::vector<Tensor>>(&value_)) {
    const auto& os = other.get<std::vector<Tensor>>();
    if (ts->size() != os.size()) return false;
    for (size_t i = 0; i < ts->size(); ++i) {
      if (!(*ts)[i].BitwiseEquals(os[i])) return false;
    }
    return true;
  }
  return std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, Tensor> || std::is_same_v<V, std::vector<Tensor>>) {
          return false;  // handled above
        } else if constexpr (std::is_same_v<V, float>) {
          return FloatBits(v) == FloatBits(std::get<float>(other.value_));  // NaN equals itself
        } else if constexpr (std::is_same_v<V, std::vector<float>>) {
          const auto& o = std::get<std::vector<float>>(other.value_);
          if (v.size() != o.size()) return false;
          for (size_t i = 0; i < v.size(); ++i) {
            if (FloatBits(v[i]) != FloatBits(o[i])) return false;
          }
          return true;
        } else {
          return v == std::get<V>(other.value_);
        }
      },
      value_);
}

size_t Attribute::Hash() const {
  return std::visit(
      [&](const auto& v) -> size_t {
        using V = std::decay_t<decltype(v)>;
        size_t kind = value_.index();
        if constexpr (std::is_same_v<V, Tensor>) {
          return absl::HashOf(kind, v.ContentHash());
        } else if constexpr (std::is_same_v<V, std::vector<Tensor>>) {
          size_t h = absl::HashOf(kind, v.size());
          for (const Tensor& t : v) h = absl::HashOf(h, t.ContentHash());
          return h;
        } else if constexpr (std::is_same_v<V, OpaqueAttribute>) {
          return absl::HashOf(kind, v.serialized_proto);
        } else if constexpr (std::is_same_v<V, float>) {
          return absl::HashOf(kind, FloatBits(v));
        } else if constexpr (std::is_same_v<V, std::vector<float>>) {
          size_t h = absl::HashOf(kind, v.size());
          for (float f : v) h = absl::HashOf(h, FloatBits(f));
          return h;
        } else {
          return absl::HashOf(kind, v);
        }
      },
      value_);
}

absl::string_view AttributeKindName(AttributeKind kind) {
  switch (kind) {
    case AttributeKind::kInt: return "int";
    case AttributeKind::kFloat: return "float";
    case AttributeKind::kString: return "string";
    case AttributeKind::kTensor: return "tensor";
    case AttributeKind::kInts: return "ints";
    case AttributeKind::kFloats: return "floats";
    case AttributeKind::kStrings: return "strings";
    case AttributeKind::kTensors: return "tensors";
    case AttributeKind::kOpaque: return "opaque";
  }
  return "?";
}

}  // namespace gsopt::ir
