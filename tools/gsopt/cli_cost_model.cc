// The CLI's cost model; see cli_cost_model.h.
#include "tools/gsopt/cli_cost_model.h"

#include "backend/cost/fused_op_work.h"
#include "rewrites/pass.h"
#include "rewrites/passes/passes.h"

namespace gsopt::cli {
namespace {

backend::AnalyticalCostModel WithFusedOps(bool runtime_fuses_conv_activation) {
  backend::MachineModel machine;
  machine.fold_conv_activation = runtime_fuses_conv_activation;
  backend::AnalyticalCostModel model(machine);
  backend::RegisterFusedOpWork(model);
  return model;
}

}  // namespace

CliCostModel::CliCostModel(const std::map<std::string, int64_t>& dims, int64_t default_dim, absl::string_view target)
    : analytical_(WithFusedOps(/*runtime_fuses_conv_activation=*/target != "gsopt")),
      bound_(analytical_, dims, default_dim, [](ir::Graph& bound) {
        rewrites::PassPipeline fold;
        fold.Add(rewrites::CreateConstantFoldingPass());
        (void)fold.Run(bound, /*max_iterations=*/2);
      }) {}

}  // namespace gsopt::cli
