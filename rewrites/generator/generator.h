// The rule generator: TASO-style discovery of rewrite rules by enumeration.
// It builds every graph of up to `max_ops` op templates (the shared op set of
// /tmp/prompts/opset.md) over a fixed pool of small leaf tensors, evaluates
// each graph once as it is built (exactly over Z_p for the multilinear
// templates, in double precision for all), groups graphs whose outputs agree,
// turns each group into candidate rules in the rule table format, prunes
// renamings and rules whose sides share a common subgraph, then, smallest
// sources first, drops rules that smaller accepted rules already imply and has
// the caller's `verify` callback check the rest. The CLI (`gsopt rules generate`) plugs the Z3
// prover and the random tester into `verify`.
#ifndef GSOPT_REWRITES_GENERATOR_GENERATOR_H_
#define GSOPT_REWRITES_GENERATOR_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rewrites/rules/rule_table.h"

namespace gsopt::rewrites::generator {

// The op templates of the shared op set, by name ("matmul", "conv3", "add", ...).
std::vector<std::string> OpTemplateNames();

// What `verify` says about one candidate rule.
struct Verdict {
  bool accepted = false;
  rules::Provenance provenance;  // origin is forced to generated
  std::string reason;            // why it was rejected; counted per reason
};

struct GeneratorOptions {
  int max_ops = 3;               // 1..5; 4 works, 5 only with a short `ops` list
  std::vector<std::string> ops;  // template names; empty = all
  int threads = 0;               // 0 = std::thread::hardware_concurrency()
  uint64_t seed = 1;             // random inputs of the fingerprints
  // Called from the calling thread while a phase runs ("enumerate", "verify",
  // "implied"); may be empty.
  std::function<void(absl::string_view phase, int64_t done, int64_t total)> progress;
  // Verifies a candidate rule; called from worker threads, concurrently.
  // Empty = accept all with proof=none.
  std::function<Verdict(const rules::Rule&)> verify;
};

struct GeneratorStats {
  int64_t graphs_enumerated = 0;      // graphs fingerprinted (including the leaf-only ones)
  int64_t fingerprint_classes = 0;    // distinct fingerprints with at least two graphs
  int64_t candidates = 0;             // source -> target pairs confirmed equal
  int64_t after_trivial = 0;          // without source == target up to commutative swaps
  int64_t after_renaming = 0;         // without renamings of another candidate
  int64_t after_common_subgraph = 0;  // without rules whose sides share an identical op
  // Then, by source size, smallest first: candidates implied by accepted
  // rules of smaller sources are dropped, the rest go to `verify`.
  int64_t implied = 0;   // dropped as implied by smaller accepted rules
  int64_t verified = 0;  // accepted by `verify`
  int64_t rejected = 0;  // rejected by `verify`
  std::map<std::string, int64_t> rejected_by_reason;
  int64_t after_implied = 0;  // emitted (== verified)
  double enumerate_seconds = 0;
  double candidates_seconds = 0;  // grouping, confirming, building and pruning candidates
  double implied_seconds = 0;
  double verify_seconds = 0;
  double total_seconds = 0;
  int threads = 0;
  int max_ops = 0;
  std::string Summary() const;  // multi-line, human readable
};

struct GeneratedRules {
  rules::RuleTable table;
  GeneratorStats stats;
};

// Runs the whole pipeline. A bad op name or max_ops out of range is InvalidArgument.
absl::StatusOr<GeneratedRules> GenerateRules(const GeneratorOptions& options);

}  // namespace gsopt::rewrites::generator

#endif  // GSOPT_REWRITES_GENERATOR_GENERATOR_H_
