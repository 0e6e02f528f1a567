// Tests of weight randomization: which constants count as weights (also
// through a Reshape between a placeholder and its MatMul), and that shape
// constants keep their values.
#include "verifier/random/randomize_weights.h"

#include <set>

#include "frontends/text/text_format.h"
#include "gtest/gtest.h"
#include "ir/op_registry.h"

namespace gsopt::verifier {
namespace {

TEST(RandomizeWeightsTest, PlaceholderBehindReshapeBecomesARandomWeight) {
  absl::StatusOr<ir::Graph> graph = frontends::text::ParseGraph(R"(gsir 1
graph @g(%x: f32[2,4]) -> (%y: f32[2,3]) {
  %n = const i64[1] dense<12>
  %shape = const i64[2] dense<[4, 3]>
  %flat = ConstantOfShape(%n) {value = f32[1] dense<0.5>} : f32[12]
  %w = Reshape(%flat, %shape) : f32[4,3]
  %y = MatMul(%x, %w) : f32[2,3]
  return %y
}
)");
  ASSERT_TRUE(graph.ok()) << graph.status();
  absl::StatusOr<RandomizeWeightsReport> report = RandomizeWeights(*graph, 7);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->materialized, 1);
  EXPECT_EQ(report->randomized, 1);
  std::optional<ir::ValueId> flat = graph->FindValue("flat");
  ASSERT_TRUE(flat.has_value());
  ASSERT_TRUE(graph->value(*flat).is_constant());
  const ir::Tensor& w = *graph->value(*flat).initializer;
  std::set<double> distinct;
  for (int64_t i = 0; i < w.num_elements(); ++i) distinct.insert(w.GetAsDouble(i));
  EXPECT_GT(distinct.size(), 6u) << "the placeholder's splat must become varied values";
  // The Reshape target is a shape, not a weight.
  const ir::Tensor& shape = *graph->value(*graph->FindValue("shape")).initializer;
  EXPECT_EQ(shape.GetAsInt64(0), 4);
  EXPECT_EQ(shape.GetAsInt64(1), 3);
}

}  // namespace
}  // namespace gsopt::verifier
