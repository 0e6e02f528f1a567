// Builds concrete instances of rules (see rule_instance.h): symbolic dims
// unified along the source pattern, random sizes, then the engine itself
// decides whether the rule matches the built graph, so that the instance is
// exactly what `gsopt optimize` would rewrite.
#include "verifier/random/rule_instance.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontends/text/text_format.h"
#include "ir/op_registry.h"
#include "rewrites/engine/rule_engine.h"

namespace gsopt::verifier {
namespace {

namespace rules = rewrites::rules;
using Dims = std::vector<int64_t>;

// Union-find over symbolic dims; a class may be pinned to a size and may be
// required to be a multiple of some factor (the axis a Split halves).
class DimClasses {
 public:
  int Fresh() {
    parent_.push_back(static_cast<int>(parent_.size()));
    pinned_.push_back(std::nullopt);
    multiple_.push_back(1);
    return parent_.back();
  }
  int Find(int c) {
    while (parent_[c] != c) c = parent_[c] = parent_[parent_[c]];
    return c;
  }
  // False on a contradiction (two different pinned sizes).
  bool Unify(int a, int b) {
    a = Find(a);
    b = Find(b);
    if (a == b) return true;
    if (pinned_[a] && pinned_[b] && *pinned_[a] != *pinned_[b]) return false;
    parent_[b] = a;
    if (!pinned_[a]) pinned_[a] = pinned_[b];
    multiple_[a] = std::lcm(multiple_[a], multiple_[b]);
    return true;
  }
  bool Pin(int c, int64_t value) {
    c = Find(c);
    if (pinned_[c] && *pinned_[c] != value) return false;
    pinned_[c] = value;
    return true;
  }
  std::optional<int64_t> Pinned(int c) { return pinned_[Find(c)]; }
  void RequireMultiple(int c, int64_t k) { multiple_[Find(c)] = std::lcm(multiple_[Find(c)], k); }
  int64_t Multiple(int c) { return multiple_[Find(c)]; }

 private:
  std::vector<int> parent_;
  std::vector<std::optional<int64_t>> pinned_;
  std::vector<int64_t> multiple_;
};

using SymShape = std::vector<int>;  // a class per axis

std::optional<int64_t> IntLiteral(const rules::ConstExpr& e) {
  if (e.kind != rules::ConstExpr::Kind::kLiteral) return std::nullopt;
  if (const auto* i = std::get_if<int64_t>(&e.literal)) return *i;
  return std::nullopt;
}

std::optional<double> NumberLiteral(const rules::ConstExpr& e) {
  if (e.kind != rules::ConstExpr::Kind::kLiteral) return std::nullopt;
  if (const auto* i = std::get_if<int64_t>(&e.literal)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&e.literal)) return *d;
  return std::nullopt;
}

// dim(%v, axis) as (variable, axis).
std::optional<std::pair<std::string, int64_t>> DimRef(const rules::ConstExpr& e) {
  if (e.kind != rules::ConstExpr::Kind::kCall || e.name != "dim" || e.args.size() != 2) return std::nullopt;
  if (e.args[0].kind != rules::ConstExpr::Kind::kVariable) return std::nullopt;
  auto axis = IntLiteral(e.args[1]);
  if (!axis) return std::nullopt;
  return std::make_pair(e.args[0].name, *axis);
}

ir::Attribute ToAttribute(const rules::Literal& literal) {
  return std::visit(
      [](const auto& v) -> ir::Attribute {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>) {
          return static_cast<float>(v);
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          return std::vector<float>(v.begin(), v.end());
        } else {
          return v;
        }
      },
      literal);
}

const rules::AttrBinding* FindBinding(const rules::PatternNode& node, absl::string_view name) {
  for (const rules::AttrBinding& b : node.attrs)
    if (!b.is_rest && b.name == name) return &b;
  return nullptr;
}

std::optional<Dims> LiteralInts(const rules::PatternNode& node, absl::string_view name) {
  const rules::AttrBinding* b = FindBinding(node, name);
  if (b == nullptr || b->param || b->variable) return std::nullopt;
  if (const auto* v = std::get_if<std::vector<int64_t>>(&b->value)) return *v;
  return std::nullopt;
}

std::optional<int64_t> LiteralInt(const rules::PatternNode& node, absl::string_view name) {
  const rules::AttrBinding* b = FindBinding(node, name);
  if (b == nullptr || b->param || b->variable) return std::nullopt;
  if (const auto* v = std::get_if<int64_t>(&b->value)) return *v;
  return std::nullopt;
}

// Input slots that carry integer tensors (shapes, pads, axes, split sizes).
bool IsIntegerSlot(const std::string& op, int slot) {
  if (slot == 0) return false;
  if (op == "Reshape" || op == "Pad" || op == "Split" || op == "ReduceMean" || op == "Unsqueeze" || op == "Squeeze" ||
      op == "Expand" || op == "Tile")
    return slot == 1 || (op == "Pad" && slot == 3);
  return op == "Slice";
}

// One attempt at building the source graph of a rule at random sizes.
class Builder {
 public:
  Builder(const rules::Rule& rule, const rewrites::CompiledRule& compiled, std::mt19937_64& rng, int64_t max_dim)
      : rule_(rule), compiled_(compiled), rng_(rng), max_dim_(max_dim) {}

  // The graph, or the reason this attempt failed.
  absl::StatusOr<ir::Graph> Build(RuleInstance& instance) {
    CollectConditions();
    PropagateRanksThroughSameShape();
    for (const std::string& leaf : compiled_.leaves) {
      if (int_leaves_.count(leaf) || !LeafIsInteger(leaf)) continue;
      int_leaves_.insert(leaf);
    }
    for (const std::string& leaf : compiled_.leaves)
      if (!int_leaves_.count(leaf)) shapes_[leaf] = FreshShape(ChooseRank(leaf));
    for (const rules::PatternNode& node : rule_.source.nodes)
      if (!Propagate(node)) return absl::NotFoundError("op typing contradicts itself");
    if (!ApplyShapeConditions()) return absl::NotFoundError("shape conditions contradict each other");

    ir::Graph graph;
    graph.mutable_metadata().opset_imports[""] = ChooseOpset();
    std::map<std::string, ir::ValueId> ids;
    for (const std::string& leaf : compiled_.leaves) {
      if (int_leaves_.count(leaf)) {
        auto values = IntLeafValue(leaf);
        if (!values) return absl::NotFoundError(absl::StrCat("no value known for integer leaf %", leaf));
        ids[leaf] = graph.AddInitializer(
            leaf, ir::Tensor::FromVector<int64_t>({static_cast<int64_t>(values->size())}, *values));
        continue;
      }
      Dims dims = Concrete(shapes_[leaf]);
      instance.leaf_dims[leaf] = dims;
      if (const_leaves_.count(leaf)) {
        ids[leaf] = graph.AddInitializer(leaf, ConstantValue(leaf, dims));
      } else {
        ids[leaf] = graph.AddInput(leaf, ir::TensorType{ir::DType::kFloat32, ir::Shape::FromStatic(dims)});
      }
    }
    for (const rules::PatternNode& node : rule_.source.nodes) {
      std::vector<ir::ValueId> inputs;
      for (const std::string& in : node.inputs) inputs.push_back(in.empty() ? ir::kNoValue : ids.at(in));
      ir::AttributeMap attributes;
      for (const rules::AttrBinding& b : node.attrs) {
        if (b.is_rest) continue;  // no further attributes: the ONNX defaults
        if (b.param) {
          auto value = ParamValue(node, b, instance);
          if (!value) return absl::NotFoundError(absl::StrCat("no way to choose ?", *b.param));
          attributes[b.name] = *value;
        } else {
          attributes[b.name] = ToAttribute(b.value);
        }
      }
      ir::NodeId id = graph.AddNode(node.op, inputs, node.outputs, attributes, "", node.domain);
      for (size_t i = 0; i < node.outputs.size(); ++i) ids[node.outputs[i]] = graph.node(id).outputs[i];
    }
    std::vector<ir::ValueId> outputs;
    for (const std::string& root : compiled_.roots) outputs.push_back(ids.at(root));
    graph.SetOutputs(outputs);
    if (absl::Status s = ir::InferShapes(graph, /*strict=*/true); !s.ok()) return s;
    return graph;
  }

 private:
  void CollectConditions() {
    for (const rules::Condition& c : rule_.conditions) {
      if (c.predicate == "const")
        for (const auto& a : c.args) const_leaves_.insert(a.name);
      if (c.predicate == "rank" && c.args.size() == 2 && c.args[0].kind == rules::ConstExpr::Kind::kVariable)
        if (auto r = IntLiteral(c.args[1])) ranks_[c.args[0].name] = *r;
      if ((c.predicate == "eq" || c.predicate == "all_eq") && c.args.size() == 2 &&
          c.args[0].kind == rules::ConstExpr::Kind::kVariable) {
        const rules::ConstExpr& rhs = c.args[1];
        if (rhs.kind == rules::ConstExpr::Kind::kLiteral) {
          if (const auto* list = std::get_if<std::vector<int64_t>>(&rhs.literal)) int_values_[c.args[0].name] = *list;
          if (auto n = NumberLiteral(rhs)) fill_[c.args[0].name] = *n;
        }
      }
      if (c.predicate == "lt" && c.args.size() == 2) {
        if (c.args[1].kind == rules::ConstExpr::Kind::kVariable)
          if (auto n = NumberLiteral(c.args[0])) lower_[c.args[1].name] = *n;
        if (c.args[0].kind == rules::ConstExpr::Kind::kVariable)
          if (auto n = NumberLiteral(c.args[1])) upper_[c.args[0].name] = *n;
      }
    }
  }

  // same_shape(%a, %b) with a known rank for one gives the other that rank.
  void PropagateRanksThroughSameShape() {
    for (bool changed = true; changed;) {
      changed = false;
      for (const rules::Condition& c : rule_.conditions) {
        if (c.predicate != "same_shape" || c.args.size() != 2) continue;
        const std::string &a = c.args[0].name, &b = c.args[1].name;
        if (ranks_.count(a) && !ranks_.count(b)) ranks_[b] = ranks_[a], changed = true;
        if (ranks_.count(b) && !ranks_.count(a)) ranks_[a] = ranks_[b], changed = true;
      }
    }
  }

  bool LeafIsInteger(const std::string& leaf) const {
    for (const rules::PatternNode& node : rule_.source.nodes)
      for (size_t i = 0; i < node.inputs.size(); ++i)
        if (node.inputs[i] == leaf && IsIntegerSlot(node.op, static_cast<int>(i))) return true;
    return false;
  }

  std::optional<std::vector<int64_t>> IntLeafValue(const std::string& leaf) const {
    if (auto it = int_values_.find(leaf); it != int_values_.end()) return it->second;
    if (auto it = fill_.find(leaf); it != fill_.end()) return std::vector<int64_t>{static_cast<int64_t>(it->second)};
    return std::nullopt;
  }

  int64_t ChooseRank(const std::string& leaf) {
    if (auto it = ranks_.find(leaf); it != ranks_.end()) return it->second;
    for (const rules::PatternNode& node : rule_.source.nodes)
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        if (node.inputs[i] != leaf) continue;
        const std::string& op = node.op;
        if (op == "Conv" || op == "MaxPool" || op == "AveragePool" || op == "LRN") return i == 2 ? 1 : 4;
        if (op == "BatchNormalization") return i == 0 ? 4 : 1;
        if (op == "Transpose")
          if (auto perm = LiteralInts(node, "perm")) return static_cast<int64_t>(perm->size());
        if (op == "MatMul" || op == "Gemm" || op == "gsopt::FusedMatMul") return 2;
      }
    return std::uniform_int_distribution<int64_t>(2, 3)(rng_);
  }

  SymShape FreshShape(int64_t rank) {
    SymShape s;
    for (int64_t i = 0; i < rank; ++i) s.push_back(classes_.Fresh());
    return s;
  }

  const SymShape* ShapeOf(const std::string& var) const {
    auto it = shapes_.find(var);
    return it == shapes_.end() ? nullptr : &it->second;
  }

  bool UnifyShapes(const SymShape& a, const SymShape& b) {
    if (a.size() != b.size()) return true;  // different ranks broadcast; leave to inference
    for (size_t i = 0; i < a.size(); ++i)
      if (!classes_.Unify(a[i], b[i])) return false;
    return true;
  }

  // Numpy broadcasting, preferring equal dims; a dim pinned to 1 broadcasts.
  std::optional<SymShape> Broadcast(const SymShape& a, const SymShape& b) {
    const SymShape& longer = a.size() >= b.size() ? a : b;
    const SymShape& shorter = a.size() >= b.size() ? b : a;
    SymShape out = longer;
    size_t shift = longer.size() - shorter.size();
    for (size_t i = 0; i < shorter.size(); ++i) {
      int x = longer[i + shift], y = shorter[i];
      if (classes_.Pinned(y) == 1) continue;
      if (classes_.Pinned(x) == 1 && !classes_.Pinned(y)) {
        out[i + shift] = y;
        continue;
      }
      if (!classes_.Unify(x, y)) return std::nullopt;
    }
    return out;
  }

  // Symbolic output shapes of one pattern node; false on a contradiction.
  bool Propagate(const rules::PatternNode& node) {
    std::vector<const SymShape*> in;
    for (const std::string& v : node.inputs) in.push_back(v.empty() ? nullptr : ShapeOf(v));
    auto set = [&](size_t i, SymShape s) {
      if (i < node.outputs.size()) shapes_[node.outputs[i]] = std::move(s);
    };
    const std::string& op = node.op;
    auto have = [&](size_t n) {
      for (size_t i = 0; i < n; ++i)
        if (i >= in.size() || in[i] == nullptr) return false;
      return true;
    };
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow") {
      if (!have(2)) return true;
      auto out = Broadcast(*in[0], *in[1]);
      if (!out) return false;
      set(0, *out);
    } else if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "Erf" || op == "Sqrt" || op == "Identity" ||
               op == "Softmax" || op == "LeakyRelu" || op == "Neg" || op == "Clip" || op == "Exp") {
      if (have(1)) set(0, *in[0]);
    } else if (op == "MatMul" || op == "FusedMatMul") {
      if (!have(2) || in[0]->size() < 2 || in[1]->size() < 2) return true;
      const SymShape &a = *in[0], &b = *in[1];
      if (!classes_.Unify(a.back(), b[b.size() - 2])) return false;
      SymShape ab(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
      auto batch = Broadcast(ab, bb);
      if (!batch) return false;
      batch->push_back(a[a.size() - 2]);
      batch->push_back(b.back());
      set(0, *batch);
    } else if (op == "Conv") {
      if (!have(2) || in[0]->size() != 4 || in[1]->size() != 4) return true;
      const SymShape &x = *in[0], &w = *in[1];
      int64_t group = LiteralInt(node, "group").value_or(1);
      if (group != 1) return true;
      if (!classes_.Unify(x[1], w[1])) return false;
      Dims pads = LiteralInts(node, "pads").value_or(Dims{0, 0, 0, 0});
      Dims kernel = LiteralInts(node, "kernel_shape").value_or(Dims{2 * pads[0] + 1, 2 * pads[1] + 1});
      if (!classes_.Pin(w[2], kernel[0]) || !classes_.Pin(w[3], kernel[1])) return false;
      if (in.size() > 2 && in[2] != nullptr && in[2]->size() == 1 && !classes_.Unify((*in[2])[0], w[0])) return false;
      SymShape out = {x[0], w[0], x[2], x[3]};
      if (kernel[0] != 2 * pads[0] + 1 || kernel[1] != 2 * pads[1] + 1 || LiteralInts(node, "strides")) {
        out[2] = classes_.Fresh();
        out[3] = classes_.Fresh();
      }
      set(0, out);
    } else if (op == "BatchNormalization") {
      if (!have(1) || in[0]->size() < 2) return true;
      for (size_t i = 1; i < in.size(); ++i)
        if (in[i] != nullptr && in[i]->size() == 1 && !classes_.Unify((*in[i])[0], (*in[0])[1])) return false;
      set(0, *in[0]);
    } else if (op == "Concat") {
      if (!have(in.size()) || in.empty()) return true;
      int64_t rank = static_cast<int64_t>(in[0]->size());
      int64_t axis = LiteralInt(node, "axis").value_or(0);
      if (axis < 0) axis += rank;
      SymShape out = *in[0];
      for (size_t k = 1; k < in.size(); ++k) {
        if (static_cast<int64_t>(in[k]->size()) != rank) return true;
        for (int64_t i = 0; i < rank; ++i)
          if (i != axis && !classes_.Unify(out[i], (*in[k])[i])) return false;
      }
      if (axis >= 0 && axis < rank) out[axis] = classes_.Fresh();
      set(0, out);
    } else if (op == "Split") {
      if (!have(1)) return true;
      int64_t rank = static_cast<int64_t>(in[0]->size());
      int64_t axis = LiteralInt(node, "axis").value_or(0);
      if (axis < 0) axis += rank;
      if (axis < 0 || axis >= rank) return true;
      if (node.inputs.size() < 2) classes_.RequireMultiple((*in[0])[axis], static_cast<int64_t>(node.outputs.size()));
      for (size_t o = 0; o < node.outputs.size(); ++o) {
        SymShape out = *in[0];
        out[axis] = classes_.Fresh();
        set(o, out);
      }
    } else if (op == "Transpose") {
      if (!have(1)) return true;
      auto perm = LiteralInts(node, "perm");
      if (!perm || perm->size() != in[0]->size()) return true;
      SymShape out;
      for (int64_t p : *perm) {
        if (p < 0 || p >= static_cast<int64_t>(in[0]->size())) return true;
        out.push_back((*in[0])[p]);
      }
      set(0, out);
    } else if (op == "ReduceMean") {
      if (!have(1)) return true;
      Dims axes = LiteralInts(node, "axes").value_or(Dims{});
      if (node.inputs.size() > 1 && int_values_.count(node.inputs[1])) axes = int_values_.at(node.inputs[1]);
      SymShape out = *in[0];
      int64_t rank = static_cast<int64_t>(out.size());
      for (int64_t a : axes) {
        if (a < 0) a += rank;
        if (a < 0 || a >= rank) return true;
        out[a] = classes_.Fresh();
        classes_.Pin(out[a], 1);
      }
      if (LiteralInt(node, "keepdims").value_or(1) != 0) set(0, out);
    } else if (op == "AveragePool" || op == "MaxPool") {
      if (!have(1)) return true;
      Dims kernel = LiteralInts(node, "kernel_shape").value_or(Dims{});
      Dims pads = LiteralInts(node, "pads").value_or(Dims(kernel.size() * 2, 0));
      bool same = !LiteralInts(node, "strides");
      for (size_t i = 0; i < kernel.size() && i < pads.size(); ++i) same = same && kernel[i] == 2 * pads[i] + 1;
      if (same) set(0, *in[0]);
    } else if (op == "Reshape") {
      if (node.inputs.size() < 2 || !int_values_.count(node.inputs[1])) return true;
      SymShape out;
      for (int64_t d : int_values_.at(node.inputs[1])) {
        out.push_back(classes_.Fresh());
        if (d > 0 && !classes_.Pin(out.back(), d)) return false;
      }
      set(0, out);
    }
    return true;  // other ops: shapes come from inference only
  }

  bool ApplyShapeConditions() {
    for (const rules::Condition& c : rule_.conditions) {
      if (c.predicate == "same_shape" && c.args.size() == 2) {
        const SymShape* a = ShapeOf(c.args[0].name);
        const SymShape* b = ShapeOf(c.args[1].name);
        if (a != nullptr && b != nullptr && !UnifyShapes(*a, *b)) return false;
      }
      if (c.predicate != "eq" || c.args.size() != 2) continue;
      auto lhs = DimRef(c.args[0]);
      if (!lhs) continue;
      auto cls = [&](const std::pair<std::string, int64_t>& ref) -> std::optional<int> {
        const SymShape* s = ShapeOf(ref.first);
        if (s == nullptr) return std::nullopt;
        int64_t axis = ref.second < 0 ? ref.second + static_cast<int64_t>(s->size()) : ref.second;
        if (axis < 0 || axis >= static_cast<int64_t>(s->size())) return std::nullopt;
        return (*s)[axis];
      };
      auto left = cls(*lhs);
      if (!left) continue;
      if (auto n = IntLiteral(c.args[1])) {
        if (!classes_.Pin(*left, *n)) return false;
      } else if (auto rhs = DimRef(c.args[1])) {
        if (auto right = cls(*rhs); right && !classes_.Unify(*left, *right)) return false;
      }
    }
    return true;
  }

  int64_t ChooseOpset() const {
    for (const rules::PatternNode& node : rule_.source.nodes)
      if (node.op == "ReduceMean" && node.inputs.size() > 1) return 18;
    return 17;
  }

  Dims Concrete(const SymShape& s) {
    Dims dims;
    for (int c : s) {
      int root = classes_.Find(c);
      if (auto it = sizes_.find(root); it != sizes_.end()) {
        dims.push_back(it->second);
        continue;
      }
      int64_t size;
      if (auto pinned = classes_.Pinned(root)) {
        size = *pinned;
      } else {
        int64_t k = classes_.Multiple(root);
        int64_t most = std::max<int64_t>(1, max_dim_ / k);
        size = k * std::uniform_int_distribution<int64_t>(std::min<int64_t>(2, most), most)(rng_);
      }
      sizes_[root] = size;
      dims.push_back(size);
    }
    return dims;
  }

  // Constant leaves: the value the conditions demand, else small nonzero
  // integers (exact in floats and in the field; positive where they feed a
  // BatchNormalization variance, which a square root reads).
  ir::Tensor ConstantValue(const std::string& leaf, const Dims& dims) {
    ir::Tensor t = ir::Tensor::Zeros(ir::DType::kFloat32, dims);
    std::optional<double> fill;
    if (auto it = fill_.find(leaf); it != fill_.end()) fill = it->second;
    if (!fill && lower_.count(leaf) && upper_.count(leaf)) fill = (lower_.at(leaf) + upper_.at(leaf)) / 2;
    bool positive = false;
    for (const rules::PatternNode& node : rule_.source.nodes)
      if (node.op == "BatchNormalization" && node.inputs.size() > 4 && node.inputs[4] == leaf) positive = true;
    std::uniform_int_distribution<int> pick(positive ? 1 : -3, 3);
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      int v = 0;
      while (!fill && v == 0) v = pick(rng_);
      t.SetFromDouble(i, fill ? *fill : v);
    }
    return t;
  }

  // A value for an attribute parameter, from what the attribute means.
  std::optional<ir::Attribute> ParamValue(const rules::PatternNode& node, const rules::AttrBinding& b,
                                          RuleInstance& instance) {
    if (auto it = instance.params.find(*b.param); it != instance.params.end()) return it->second;
    const SymShape* first = node.inputs.empty() ? nullptr : ShapeOf(node.inputs[0]);
    int64_t rank = first != nullptr ? static_cast<int64_t>(first->size()) : 2;
    std::optional<ir::Attribute> value;
    if (b.name == "axis") {
      value = ir::Attribute(std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(0, rank - 1))(rng_));
    } else if (b.name == "perm") {
      Dims perm(static_cast<size_t>(rank));
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng_);
      value = ir::Attribute(perm);
    } else if (b.name == "axes") {
      value = ir::Attribute(Dims{-1});
    } else if (b.name == "epsilon") {
      value = ir::Attribute(1e-5f);
    } else if (b.name == "group") {
      value = ir::Attribute(int64_t{1});
    } else if (b.name == "alpha") {
      value = ir::Attribute(0.1f);
    }
    if (value) instance.params[*b.param] = *value;
    return value;
  }

  const rules::Rule& rule_;
  const rewrites::CompiledRule& compiled_;
  std::mt19937_64& rng_;
  int64_t max_dim_;
  DimClasses classes_;
  std::map<std::string, SymShape> shapes_;
  std::map<int, int64_t> sizes_;
  std::set<std::string> const_leaves_, int_leaves_;
  std::map<std::string, int64_t> ranks_;
  std::map<std::string, std::vector<int64_t>> int_values_;
  std::map<std::string, double> fill_, lower_, upper_;
};

// The match of the rule covering every node of `graph` (the pattern itself).
std::optional<rewrites::Match> FullMatch(const rewrites::RuleSet& rule_set, const ir::Graph& graph) {
  for (rewrites::Match& m : rule_set.FindMatches(graph, 0))
    if (static_cast<int>(m.nodes.size()) == graph.num_live_nodes()) return m;
  return std::nullopt;
}

absl::StatusOr<RuleInstance> Finish(RuleInstance instance, const rewrites::RuleSet& rule_set,
                                    const rewrites::Match& match) {
  auto target = rule_set.Apply(match, instance.source);
  if (!target.ok()) {
    if (target.status().code() == absl::StatusCode::kInternal) return target.status();
    // Lets and attribute conversions failing say nothing about the rule's
    // truth; a target node that does not type-check where the source matched
    // means the rule is wrong.
    std::string message(target.status().message());
    if (message.find(": node ") != std::string::npos && message.find(": let %") == std::string::npos)
      return absl::InternalError(absl::StrCat("the target does not type-check where the source matches: ", message));
    return absl::NotFoundError(absl::StrCat("the rule matched but could not be applied: ", target.status().message()));
  }
  instance.target = *std::move(target);
  return instance;
}

// Cuts the subgraph a match covers out of a test graph: the matched nodes,
// their leaves as inputs (or constants, kept as they are), the roots as outputs.
absl::StatusOr<RuleInstance> FromTestFile(const rules::Rule& rule, const rewrites::RuleSet& rule_set,
                                          const std::string& dir) {
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec))
    return absl::NotFoundError("no rule test directory to take a seed graph from");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(rule.name + ".fires", 0) == 0 && entry.path().extension() == ".gsir")
      files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  const rewrites::CompiledRule& compiled = rule_set.rule(0);
  for (const std::string& file : files) {
    auto graph = frontends::text::ParseGraphFile(file);
    if (!graph.ok() || !ir::InferShapes(*graph, false).ok()) continue;
    std::vector<rewrites::Match> matches = rule_set.FindMatches(*graph, 0);
    if (matches.empty()) continue;
    const rewrites::Match& match = matches.front();
    RuleInstance instance;
    instance.from_test_file = true;
    ir::Graph& source = instance.source;
    source.mutable_metadata() = graph->metadata();
    std::map<ir::ValueId, ir::ValueId> mapped;
    for (const std::string& leaf : compiled.leaves) {
      ir::ValueId id = match.values.at(leaf);
      const ir::Value& v = graph->value(id);
      if (mapped.count(id)) continue;
      mapped[id] = v.is_constant() ? source.AddInitializer(v.name, *v.initializer) : source.AddInput(v.name, v.type);
      if (v.type.shape.is_static()) instance.leaf_dims[leaf] = v.type.shape.static_dims();
    }
    std::vector<ir::NodeId> nodes = match.nodes;
    std::sort(nodes.begin(), nodes.end());  // graph node ids follow execution order after parsing
    for (ir::NodeId nid : graph->LiveNodes()) {
      if (std::find(nodes.begin(), nodes.end(), nid) == nodes.end()) continue;
      const ir::Node& n = graph->node(nid);
      std::vector<ir::ValueId> inputs;
      for (ir::ValueId in : n.inputs) {
        if (in == ir::kNoValue) {
          inputs.push_back(ir::kNoValue);
        } else if (auto it = mapped.find(in); it != mapped.end()) {
          inputs.push_back(it->second);
        } else {
          const ir::Value& v = graph->value(in);
          if (!v.is_constant()) return absl::NotFoundError(absl::StrCat(file, ": match reads an unbound value"));
          mapped[in] = source.AddInitializer(v.name, *v.initializer);
          inputs.push_back(mapped[in]);
        }
      }
      std::vector<std::string> outs;
      for (ir::ValueId o : n.outputs) outs.push_back(o == ir::kNoValue ? "" : graph->value(o).name);
      ir::NodeId copy = source.AddNode(n.op_type, inputs, outs, n.attributes, n.name, n.domain);
      for (size_t i = 0; i < n.outputs.size(); ++i)
        if (n.outputs[i] != ir::kNoValue) mapped[n.outputs[i]] = source.node(copy).outputs[i];
    }
    std::vector<ir::ValueId> outputs;
    for (const std::string& root : compiled.roots) outputs.push_back(mapped.at(match.values.at(root)));
    source.SetOutputs(outputs);
    if (!ir::InferShapes(source, true).ok()) continue;
    for (const auto& [name, value] : match.params)
      if (const auto* attr = std::get_if<ir::Attribute>(&value)) instance.params[name] = *attr;
    auto full = FullMatch(rule_set, source);
    if (!full) continue;
    return Finish(std::move(instance), rule_set, *full);
  }
  return absl::NotFoundError(absl::StrCat("no ", rule.name, ".fires*.gsir seed graph in ", dir, " yields a match"));
}

}  // namespace

absl::StatusOr<RuleInstance> InstantiateRule(const rules::Rule& rule, const InstanceOptions& options) {
  rules::RuleTable table;
  table.rules.push_back(rule);
  auto rule_set = rewrites::RuleSet::Create(table, ir::OpRegistry::Global(), rule.name);
  if (!rule_set.ok())
    return absl::NotFoundError(absl::StrCat("rule '", rule.name, "' is invalid: ", rule_set.status().message()));
  std::mt19937_64 rng(options.seed * 0x9e3779b97f4a7c15ULL + 17);
  std::string last_reason = "no attempt made";
  for (int attempt = 0; attempt < options.tries; ++attempt) {
    RuleInstance instance;
    Builder builder(rule, rule_set->rule(0), rng, options.max_dim);
    auto graph = builder.Build(instance);
    if (!graph.ok()) {
      last_reason = std::string(graph.status().message());
      // A reason that does not depend on the random draw will not go away.
      if (graph.status().code() == absl::StatusCode::kNotFound && attempt >= 10) break;
      continue;
    }
    instance.source = *std::move(graph);
    auto match = FullMatch(*rule_set, instance.source);
    if (!match) {
      last_reason = "the built source does not satisfy the rule's conditions";
      continue;
    }
    return Finish(std::move(instance), *rule_set, *match);
  }
  if (rule.provenance.origin == rules::Origin::kHandWritten) {
    auto seeded = FromTestFile(rule, *rule_set, options.rule_tests_dir);
    if (seeded.ok() || seeded.status().code() == absl::StatusCode::kInternal) return seeded;
    return absl::NotFoundError(absl::StrCat("rule '", rule.name, "': ", last_reason, "; ", seeded.status().message()));
  }
  return absl::NotFoundError(absl::StrCat("rule '", rule.name, "': ", last_reason));
}

}  // namespace gsopt::verifier
