// Schemas and shape inference for the recurrent op family: RNN, GRU and
// LSTM. All three share one output-shape rule and differ only in how many
// gates are stacked in W (1, 3, 4) and in LSTM's extra cell-state input and
// output. The `layout` attribute (opset 14) swaps the batch and sequence
// axes of X, the initial states and every output; before 14 it is absent and
// the layout is always sequence-major. The hidden size comes from the
// hidden_size attribute, else from R's last dim, else from W's gate dim.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"
#include "ir/ops/shape_helpers.h"

namespace gsopt::ir {
namespace {

// Static dims that certainly differ.
bool CertainlyDifferent(const Dim& a, const Dim& b) {
  return a.is_static() && b.is_static() && a.value() != b.value();
}

// Dim `i` of input `input` when its rank is known and matches `rank`, else unknown.
Dim DimOf(const InferenceContext& ctx, int input, int64_t rank, int64_t i) {
  if (!ctx.has_input(input)) return Dim();
  const Shape& s = ctx.input_type(input).shape;
  if (!s.rank_known() || s.rank() != rank) return Dim();
  return s.dim(i);
}

absl::Status CheckRank(const InferenceContext& ctx, int input, int64_t rank, absl::string_view name) {
  if (!ctx.has_input(input)) return absl::OkStatus();
  const Shape& s = ctx.input_type(input).shape;
  if (s.rank_known() && s.rank() != rank) {
    return ctx.Error(absl::StrCat(name, " has rank ", s.rank(), ", expected ", rank));
  }
  return absl::OkStatus();
}

// Shape inference shared by RNN (gates = 1), GRU (3) and LSTM (4).
absl::Status InferRecurrent(InferenceContext& ctx, int64_t gates) {
  for (auto [input, name] : {std::pair<int, const char*>{0, "X"}, {1, "W"}, {2, "R"}}) {
    if (absl::Status s = CheckRank(ctx, input, 3, name); !s.ok()) return s;
  }
  if (absl::Status s = CheckRank(ctx, 3, 2, "B"); !s.ok()) return s;
  if (absl::Status s = CheckRank(ctx, 4, 1, "sequence_lens"); !s.ok()) return s;
  if (absl::Status s = CheckRank(ctx, 5, 3, "initial_h"); !s.ok()) return s;

  std::string direction = ctx.node().GetString("direction", "forward");
  int64_t num_directions;
  if (direction == "forward" || direction == "reverse") {
    num_directions = 1;
  } else if (direction == "bidirectional") {
    num_directions = 2;
  } else {
    return ctx.Error(absl::StrCat("direction '", direction, "' is not forward, reverse or bidirectional"));
  }
  int64_t layout = ctx.opset() >= 14 ? ctx.node().GetInt("layout", 0) : 0;
  if (layout != 0 && layout != 1) return ctx.Error(absl::StrCat("layout ", layout, " is not 0 or 1"));

  Dim w_directions = DimOf(ctx, 1, 3, 0);
  if (CertainlyDifferent(w_directions, Dim(num_directions))) {
    return ctx.Error(absl::StrCat("W has ", w_directions.value(), " directions, direction '", direction,
                                  "' needs ", num_directions));
  }
  Dim hidden;
  int64_t hidden_attr = ctx.node().GetInt("hidden_size", -1);
  Dim r_hidden = DimOf(ctx, 2, 3, 2);
  Dim w_rows = DimOf(ctx, 1, 3, 1);
  if (hidden_attr > 0) {
    hidden = Dim(hidden_attr);
  } else if (!r_hidden.is_unknown()) {
    hidden = r_hidden;
  } else if (w_rows.is_static() && w_rows.value() % gates == 0) {
    hidden = Dim(w_rows.value() / gates);
  }
  if (hidden.is_static() && w_rows.is_static() && w_rows.value() != gates * hidden.value()) {
    return ctx.Error(absl::StrCat("W has ", w_rows.value(), " gate rows, expected ", gates, " x hidden_size ",
                                  hidden.value()));
  }
  if (CertainlyDifferent(r_hidden, hidden)) {
    return ctx.Error(absl::StrCat("R's last dim is ", r_hidden.value(), ", expected hidden_size ", hidden.value()));
  }
  Dim x_input = DimOf(ctx, 0, 3, 2);
  Dim w_input = DimOf(ctx, 1, 3, 2);
  if (CertainlyDifferent(x_input, w_input)) {
    return ctx.Error(absl::StrCat("X has input size ", x_input.value(), " but W expects ", w_input.value()));
  }
  Dim seq = DimOf(ctx, 0, 3, layout == 0 ? 0 : 1);
  Dim batch = DimOf(ctx, 0, 3, layout == 0 ? 1 : 0);

  DType dtype = ctx.input_type(0).dtype;
  Dim dirs(num_directions);
  if (ctx.num_outputs() > 0) {
    ctx.set_output_type(0, TensorType{dtype, layout == 0 ? Shape({seq, dirs, batch, hidden})
                                                         : Shape({batch, seq, dirs, hidden})});
  }
  Shape state = layout == 0 ? Shape({dirs, batch, hidden}) : Shape({batch, dirs, hidden});
  for (int i = 1; i < ctx.num_outputs(); ++i) ctx.set_output_type(i, TensorType{dtype, state});
  return absl::OkStatus();
}

}  // namespace

void RegisterRecurrentOps(OpRegistry& registry) {
  registry.Register(OpSchema{"", "RNN", 3, 6, 0, 2, [](InferenceContext& ctx) { return InferRecurrent(ctx, 1); }});
  registry.Register(OpSchema{"", "GRU", 3, 6, 0, 2, [](InferenceContext& ctx) { return InferRecurrent(ctx, 3); }});
  registry.Register(OpSchema{"", "LSTM", 3, 8, 0, 3, [](InferenceContext& ctx) { return InferRecurrent(ctx, 4); }});
}

}  // namespace gsopt::ir
