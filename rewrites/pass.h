// A graph pass: a name and a Run that says whether it changed the graph
// (XLA's HloPassInterface shape). PassPipeline runs passes in order, checks
// the graph invariants after each one (re-inferring shapes, since folding
// can make later shapes static), repeats until nothing changes, and
// logs which pass changed what, so a bad pass is found by bisection.
#ifndef GSOPT_REWRITES_PASS_H_
#define GSOPT_REWRITES_PASS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace gsopt::rewrites {

class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string name() const = 0;
  // Returns whether the graph changed.
  virtual absl::StatusOr<bool> Run(ir::Graph& graph) = 0;
};

struct PassRecord {
  std::string pass;
  int iteration = 0;
  int nodes_before = 0;
  int nodes_after = 0;
};

class PassPipeline {
 public:
  void Add(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }
  // Runs the passes in order, repeatedly, until a full round changes nothing
  // or `max_iterations` rounds ran. The graph is verified after every pass
  // that changed it; a violation is an error naming the pass.
  absl::Status Run(ir::Graph& graph, int max_iterations = 8);
  const std::vector<PassRecord>& log() const { return log_; }

 private:
  std::vector<std::unique_ptr<Pass>> passes_;
  std::vector<PassRecord> log_;
};

// The cleanup pipeline `gsopt optimize` runs before and after its search: constant folding,
// Identity/Dropout elimination, dead-code elimination.
PassPipeline MakeCleanupPipeline();

}  // namespace gsopt::rewrites

#endif  // GSOPT_REWRITES_PASS_H_
