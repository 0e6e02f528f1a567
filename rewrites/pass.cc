// PassPipeline: runs passes to a fixed point with invariant checks between them.
#include "rewrites/pass.h"

#include "absl/strings/str_cat.h"
#include "ir/op_registry.h"
#include "ir/verifier.h"
#include "rewrites/passes/passes.h"

namespace gsopt::rewrites {

absl::Status PassPipeline::Run(ir::Graph& graph, int max_iterations) {
  ir::VerifyOptions verify_options;
#ifdef NDEBUG
  verify_options.check_types = false;  // release builds check structure only
#endif
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    bool changed_any = false;
    for (const std::unique_ptr<Pass>& pass : passes_) {
      int before = graph.num_live_nodes();
      absl::StatusOr<bool> changed = pass->Run(graph);
      if (!changed.ok()) {
        return absl::Status(changed.status().code(),
                            absl::StrCat("pass ", pass->name(), ": ", changed.status().message()));
      }
      if (!*changed) continue;
      changed_any = true;
      log_.push_back(PassRecord{pass->name(), iteration, before, graph.num_live_nodes()});
      // A folded shape computation makes the shapes after it static, which
      // the next passes (folding Shape of them, say) can use.
      if (absl::Status s = ir::InferShapes(graph, /*strict=*/false); !s.ok()) return s;
      if (absl::Status s = ir::VerifyGraph(graph, verify_options); !s.ok()) {
        return absl::InternalError(absl::StrCat("graph invalid after pass ", pass->name(), ": ", s.message()));
      }
    }
    if (!changed_any) break;
  }
  return absl::OkStatus();
}

PassPipeline MakeCleanupPipeline() {
  PassPipeline pipeline;
  pipeline.Add(CreateConstantFoldingPass());
  pipeline.Add(CreateIdentityEliminationPass());
  pipeline.Add(CreateCommonSubexpressionEliminationPass());
  pipeline.Add(CreateDeadCodeEliminationPass());
  return pipeline;
}

}  // namespace gsopt::rewrites
