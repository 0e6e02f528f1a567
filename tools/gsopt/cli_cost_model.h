// The cost model the CLI commands search and report with: the analytical
// model with gsopt's fused ops registered, costing symbolic dims at their
// --dim values (default 1) after folding the shape computations they feed,
// so optimize and explain rank rewrites the same way.
#ifndef GSOPT_TOOLS_GSOPT_CLI_COST_MODEL_H_
#define GSOPT_TOOLS_GSOPT_CLI_COST_MODEL_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "backend/cost/cost_model.h"

namespace gsopt::cli {

class CliCostModel {
 public:
  // `target` is optimize's --target: ONNX Runtime ("ort") fuses a Conv's
  // activation itself, so there it is free; gsopt's executor fuses only
  // what the fuse-* rules rewrote into FusedConv.
  CliCostModel(const std::map<std::string, int64_t>& dims, int64_t default_dim, absl::string_view target);
  const backend::BoundSymbolsCostModel& model() const { return bound_; }

 private:
  backend::AnalyticalCostModel analytical_;
  backend::BoundSymbolsCostModel bound_;
};

}  // namespace gsopt::cli

#endif  // GSOPT_TOOLS_GSOPT_CLI_COST_MODEL_H_
