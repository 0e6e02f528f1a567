// Test helpers for the gsir text form: a by-name comparison of two graphs
// (metadata, values, types, constants' bits, nodes and attributes) and the
// print -> parse -> print round-trip check that every text test uses.
#ifndef GSOPT_FRONTENDS_TEXT_TEST_UTIL_H_
#define GSOPT_FRONTENDS_TEXT_TEST_UTIL_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "frontends/text/text_format.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/structural_hash.h"

namespace gsopt::frontends::text::testing {

inline uint32_t FloatBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// Attribute equality that compares floats by bits, so NaN attributes count
// as equal to themselves (ir::Attribute::operator== uses float ==).
inline bool SameAttributes(const ir::AttributeMap& a, const ir::AttributeMap& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first) return false;
    const ir::Attribute& x = ia->second;
    const ir::Attribute& y = ib->second;
    if (x.is<float>() && y.is<float>()) {
      if (FloatBits(x.get<float>()) != FloatBits(y.get<float>())) return false;
    } else if (x.is<std::vector<float>>() && y.is<std::vector<float>>()) {
      const auto& xs = x.get<std::vector<float>>();
      const auto& ys = y.get<std::vector<float>>();
      if (xs.size() != ys.size()) return false;
      for (size_t i = 0; i < xs.size(); ++i) {
        if (FloatBits(xs[i]) != FloatBits(ys[i])) return false;
      }
    } else if (x != y) {
      return false;
    }
  }
  return true;
}

inline std::string ValueName(const ir::Graph& g, ir::ValueId id) {
  return id == ir::kNoValue ? "<none>" : g.value(id).name;
}

// Everything a graph holds, compared by name rather than by id.
inline void ExpectSameGraph(const ir::Graph& a, const ir::Graph& b) {
  const ir::ModelMetadata& ma = a.metadata();
  const ir::ModelMetadata& mb = b.metadata();
  EXPECT_EQ(ma.ir_version, mb.ir_version);
  EXPECT_EQ(ma.opset_imports, mb.opset_imports);
  EXPECT_EQ(ma.producer_name, mb.producer_name);
  EXPECT_EQ(ma.producer_version, mb.producer_version);
  EXPECT_EQ(ma.domain, mb.domain);
  EXPECT_EQ(ma.model_version, mb.model_version);
  EXPECT_EQ(ma.doc_string, mb.doc_string);
  EXPECT_EQ(ma.graph_name, mb.graph_name);
  EXPECT_EQ(ma.graph_doc_string, mb.graph_doc_string);
  EXPECT_EQ(ma.metadata_props, mb.metadata_props);
  EXPECT_EQ(ma.serialized_functions, mb.serialized_functions);
  EXPECT_EQ(ma.serialized_training_info, mb.serialized_training_info);
  EXPECT_EQ(ma.opaque_value_types, mb.opaque_value_types);

  auto same_value = [&](ir::ValueId x, ir::ValueId y) {
    ASSERT_EQ(x == ir::kNoValue, y == ir::kNoValue);
    if (x == ir::kNoValue) return;
    const ir::Value& vx = a.value(x);
    const ir::Value& vy = b.value(y);
    EXPECT_EQ(vx.name, vy.name);
    EXPECT_EQ(vx.type, vy.type) << vx.name << ": " << vx.type.ToString() << " vs " << vy.type.ToString();
    ASSERT_EQ(vx.initializer.has_value(), vy.initializer.has_value()) << vx.name;
    if (vx.initializer) {
      EXPECT_TRUE(vx.initializer->BitwiseEquals(*vy.initializer)) << vx.name;
    }
  };
  ASSERT_EQ(a.inputs().size(), b.inputs().size());
  for (size_t i = 0; i < a.inputs().size(); ++i) same_value(a.inputs()[i], b.inputs()[i]);
  ASSERT_EQ(a.outputs().size(), b.outputs().size());
  for (size_t i = 0; i < a.outputs().size(); ++i) same_value(a.outputs()[i], b.outputs()[i]);
  std::vector<ir::ValueId> ca = a.Initializers(), cb = b.Initializers();
  ASSERT_EQ(ca.size(), cb.size());
  for (size_t i = 0; i < ca.size(); ++i) same_value(ca[i], cb[i]);

  std::vector<ir::NodeId> na = a.LiveNodes(), nb = b.LiveNodes();
  ASSERT_EQ(na.size(), nb.size());
  for (size_t i = 0; i < na.size(); ++i) {
    const ir::Node& x = a.node(na[i]);
    const ir::Node& y = b.node(nb[i]);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.op_type, y.op_type);
    EXPECT_EQ(x.domain, y.domain);
    EXPECT_EQ(x.doc_string, y.doc_string);
    EXPECT_TRUE(SameAttributes(x.attributes, y.attributes)) << x.name;
    for (const auto& [name, attr] : x.attributes) {
      if (!attr.is<ir::OpaqueAttribute>()) continue;
      EXPECT_EQ(attr.get<ir::OpaqueAttribute>().outer_scope_inputs,
                y.attributes.at(name).get<ir::OpaqueAttribute>().outer_scope_inputs);
    }
    ASSERT_EQ(x.inputs.size(), y.inputs.size()) << x.name;
    for (size_t k = 0; k < x.inputs.size(); ++k) {
      EXPECT_EQ(ValueName(a, x.inputs[k]), ValueName(b, y.inputs[k])) << x.name;
    }
    ASSERT_EQ(x.outputs.size(), y.outputs.size()) << x.name;
    for (size_t k = 0; k < x.outputs.size(); ++k) same_value(x.outputs[k], y.outputs[k]);
  }
}

// print -> parse -> print must be a fixed point and give back the same graph.
// `structural` is false only for graphs with NaN float attributes, which
// ir::StructurallyEqual never finds equal, not even to themselves.
inline ir::Graph ExpectRoundTrip(const ir::Graph& graph, bool structural = true) {
  const std::string text = PrintGraph(graph);
  absl::StatusOr<ir::Graph> parsed = ParseGraph(text, "roundtrip.gsir");
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  if (!parsed.ok()) return ir::Graph();
  EXPECT_EQ(PrintGraph(*parsed), text);
  if (structural) {
    EXPECT_TRUE(ir::StructurallyEqual(graph, *parsed)) << text;
  }
  ExpectSameGraph(graph, *parsed);
  return *std::move(parsed);
}

}  // namespace gsopt::frontends::text::testing

#endif  // GSOPT_FRONTENDS_TEXT_TEST_UTIL_H_
