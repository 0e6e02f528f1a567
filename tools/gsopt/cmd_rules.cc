// `gsopt rules generate|verify|stats`: the rule tables' own tools.
//   generate  enumerates small graphs (rewrites/generator), keeps the pairs
//             that compute the same function, and admits a candidate only
//             when the Z3 prover proves it shape-generically AND the random
//             tester passes it; writes the table with provenance per rule.
//   verify    re-proves and re-tests every rule of a table (generated or
//             hand-written) and prints `proved P, refuted R, unknown U of T`.
//   stats     what a table holds: origins, proof status and times, sizes, ops.
// A rule that Z3 proves but random testing refutes means an axiom is wrong;
// verify reports it as a disagreement and fails, so CI catches it.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "frontends/onnx/file_io.h"
#include "ir/op_registry.h"
#include "rewrites/generator/generator.h"
#include "rewrites/rules/rule_table.h"
#include "tools/gsopt/commands.h"
#include "tools/gsopt/progress_line.h"
#include "verifier/random/rule_tester.h"
#include "verifier/z3/prover.h"

namespace gsopt::cli {
namespace {

using rewrites::rules::Origin;
using rewrites::rules::ProofStatus;
using rewrites::rules::Rule;
using rewrites::rules::RuleTable;

// Proof time limits. Proofs of true rules over the op set take milliseconds;
// generation meets thousands of candidates, of which those the axioms cannot
// prove would each burn the whole limit, so it gets a shorter one.
constexpr double kGenerateTimeout = 2;
constexpr double kVerifyTimeout = 10;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Progress of a phase over `total` items, as "1234/2345".
void DrawPhase(ProgressLine& line, absl::string_view phase, int64_t done, int64_t total) {
  line.Draw(phase, total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0,
            absl::StrCat(done, "/", total));
}

ProofStatus ToProofStatus(const verifier::z3prover::ProofResult& proof) {
  switch (proof.outcome) {
    case verifier::z3prover::ProofOutcome::kProved:
      return proof.method == "axioms" ? ProofStatus::kProved : ProofStatus::kBounded;
    case verifier::z3prover::ProofOutcome::kRefuted:
      return ProofStatus::kFailed;
    case verifier::z3prover::ProofOutcome::kUnknown:
      break;
  }
  return ProofStatus::kTimeout;
}

// Both checkers on one rule.
struct RuleCheck {
  verifier::z3prover::ProofResult proof;
  verifier::RuleTestResult test;
  // A shape-generic proof that random testing refutes: the axioms are wrong.
  bool Disagree() const {
    return proof.outcome == verifier::z3prover::ProofOutcome::kProved &&
           test.outcome == verifier::RuleTestOutcome::kRefuted;
  }
  bool Admissible() const {
    return proof.outcome == verifier::z3prover::ProofOutcome::kProved && proof.method == "axioms" &&
           test.outcome == verifier::RuleTestOutcome::kPassed;
  }
};

// Why a candidate is not admitted, as a category: the generator counts
// rejections by reason, so the details (shapes, values) stay out.
std::string RejectionReason(const RuleCheck& check) {
  if (check.Admissible()) return "";
  if (check.Disagree()) {
    // Z3's proofs hold wherever both sides are well-typed; a target that is
    // not (a Split of an odd dim) means the rule's conditions are too weak.
    if (check.test.detail.find("does not type-check") != std::string::npos)
      return "proved by Z3, but the target does not type-check at some shapes the conditions allow";
    return "proved by Z3, but refuted by random testing (an axiom, or float rounding)";
  }
  using verifier::z3prover::ProofOutcome;
  if (check.proof.outcome == ProofOutcome::kRefuted) return "refuted by Z3 (element-wise counterexample)";
  if (check.proof.outcome == ProofOutcome::kProved) {
    if (check.proof.method != "axioms") return "proved by Z3 only at concrete shapes";
    return check.test.outcome == verifier::RuleTestOutcome::kRefuted ? "refuted by random testing"
                                                                     : "untestable by random testing";
  }
  if (check.proof.reason.find("timeout") != std::string::npos) return "Z3 timeout";
  if (check.proof.reason.find("not in the axioms") != std::string::npos) return "op not in the axioms";
  if (check.test.outcome == verifier::RuleTestOutcome::kRefuted) return "refuted by random testing";
  return "not proved from the axioms";
}

struct CheckOptions {
  verifier::z3prover::ProofOptions proof;
  verifier::RuleTestOptions test;
};

RuleCheck CheckRule(const Rule& rule, const CheckOptions& options) {
  RuleCheck check;
  check.proof = verifier::z3prover::ProveRule(rule, verifier::z3prover::BuiltInAxioms(), options.proof);
  check.test = verifier::TestRule(rule, options.test);
  return check;
}

absl::StatusOr<CheckOptions> CheckOptionsFromArgs(const ParsedArgs& parsed, double default_timeout) {
  CheckOptions options;
  absl::StatusOr<double> timeout = parsed.GetDouble("timeout", default_timeout);
  absl::StatusOr<int64_t> shapes = parsed.GetInt("shapes", 4);
  if (!timeout.ok()) return timeout.status();
  if (!shapes.ok()) return shapes.status();
  if (*timeout <= 0) return absl::InvalidArgumentError("--timeout must be positive");
  if (*shapes < 1) return absl::InvalidArgumentError("--shapes must be at least 1");
  options.proof.timeout_seconds = *timeout;
  options.test.shapes = static_cast<int>(*shapes);
  return options;
}

absl::StatusOr<int> ThreadsFromArgs(const ParsedArgs& parsed) {
  absl::StatusOr<int64_t> threads = parsed.GetInt("threads", 0);
  if (!threads.ok()) return threads.status();
  if (*threads < 0) return absl::InvalidArgumentError("--threads must be 0 (all cores) or more");
  if (*threads == 0) return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return static_cast<int>(*threads);
}

void AddCheckOptions(ArgSpec& spec, double default_timeout) {
  spec.Option("timeout", "S", absl::StrFormat("time limit of one Z3 proof in seconds (default %g)", default_timeout))
      .Option("shapes", "N", "random shapes the tester tries per rule (default 4)")
      .Option("threads", "N", "worker threads (default: all cores)")
      .Switch("progress", "draw the progress bar even when stderr is not a terminal");
}

absl::Status WriteTable(const std::string& path, const RuleTable& table) {
  return frontends::onnx::WriteFileAtomically(path, rewrites::rules::PrintRuleTable(table));
}

int GenerateCommand(const std::vector<std::string>& args) {
  ArgSpec spec("rules generate", "-o RULES",
               "Enumerates every graph of up to N ops over the op set, groups them by fingerprints on\n"
               "random inputs (exact over a finite field where the ops allow), prunes renamings, pairs\n"
               "with a common subgraph and rules implied by smaller ones, and keeps a candidate only if\n"
               "Z3 proves it from the axioms and random testing passes it. Writes the rule table.");
  spec.Option("output", "RULES", "output rule table", "o")
      .Option("max-ops", "N", "largest graph enumerated, in ops (default 3)")
      .Option("ops", "LIST", "op templates to enumerate, comma-separated (default: all; see --list-ops)")
      .Option("seed", "S", "seed of the fingerprint inputs (default 1)")
      .Switch("list-ops", "print the op templates and exit")
      .Switch("no-verify", "emit candidates without proving or testing them (proof=none)");
  AddCheckOptions(spec, kGenerateTimeout);
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 0, 0, &parsed)) return *exit;
  if (parsed.Has("list-ops")) {
    std::printf("%s\n", absl::StrJoin(rewrites::generator::OpTemplateNames(), " ").c_str());
    return kExitOk;
  }
  std::optional<std::string> out = parsed.Get("output");
  if (!out) {
    std::fprintf(stderr, "gsopt rules generate: -o RULES is required\n");
    return kExitUsage;
  }
  absl::StatusOr<int64_t> max_ops = parsed.GetInt("max-ops", 3);
  absl::StatusOr<int64_t> seed = parsed.GetInt("seed", 1);
  absl::StatusOr<CheckOptions> check_options = CheckOptionsFromArgs(parsed, kGenerateTimeout);
  absl::StatusOr<int> threads = ThreadsFromArgs(parsed);
  for (const absl::Status& s : {max_ops.status(), seed.status(), check_options.status(), threads.status()}) {
    if (!s.ok()) return ReportUsageError("rules generate", s);
  }
  if (*max_ops < 1 || *max_ops > 5) {
    return ReportUsageError("rules generate", absl::InvalidArgumentError("--max-ops must be 1 to 5"));
  }

  rewrites::generator::GeneratorOptions options;
  options.max_ops = static_cast<int>(*max_ops);
  options.seed = static_cast<uint64_t>(*seed);
  options.threads = *threads;
  if (std::optional<std::string> ops = parsed.Get("ops")) {
    options.ops = absl::StrSplit(*ops, ',', absl::SkipEmpty());
  }
  ProgressLine bar(parsed.Has("progress") || isatty(fileno(stderr)));
  options.progress = [&](absl::string_view phase, int64_t done, int64_t total) { DrawPhase(bar, phase, done, total); };
  if (!parsed.Has("no-verify")) {
    options.verify = [&](const Rule& rule) {
      // A candidate must be proved from the axioms; when it is not, looking
      // for a counterexample (the element-wise fallback `rules verify` runs)
      // would only say why, at seconds per rule, so it is skipped here, and
      // random testing runs on the proved ones only.
      RuleCheck check;
      check.proof =
          verifier::z3prover::ProveRuleFromAxioms(rule, verifier::z3prover::BuiltInAxioms(), check_options->proof);
      if (check.proof.outcome == verifier::z3prover::ProofOutcome::kProved) {
        check.test = verifier::TestRule(rule, check_options->test);
      }
      rewrites::generator::Verdict verdict;
      verdict.accepted = check.Admissible();
      verdict.provenance = rule.provenance;
      verdict.provenance.proof = ToProofStatus(check.proof);
      verdict.provenance.proof_seconds = check.proof.seconds;
      verdict.reason = RejectionReason(check);
      return verdict;
    };
  }
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<rewrites::generator::GeneratedRules> generated = rewrites::generator::GenerateRules(options);
  bar.Finish();
  if (!generated.ok()) {
    return generated.status().code() == absl::StatusCode::kInvalidArgument
               ? ReportUsageError("rules generate", generated.status())
               : ReportError("rules generate", generated.status());
  }
  std::printf("%s", generated->stats.Summary().c_str());
  if (absl::Status s = WriteTable(*out, generated->table); !s.ok()) return ReportError("rules generate", s);
  std::printf("wrote %zu rules to %s in %.1f s\n", generated->table.rules.size(), out->c_str(), Seconds(start));
  return kExitOk;
}

int VerifyRulesCommand(const std::vector<std::string>& args) {
  ArgSpec spec("rules verify", "RULES",
               "Proves every rule of RULES with Z3 (shape-generic, from the axioms; a bounded element-wise\n"
               "check where that fails) and tests it on random inputs of several shapes, float and finite\n"
               "field. Exit code 3 if a rule is refuted or the two checkers disagree.");
  spec.Option("output", "OUT", "write the table with each rule's proof status and time", "o")
      .Switch("strict", "also fail (exit 3) when a rule is neither proved nor refuted");
  AddCheckOptions(spec, kVerifyTimeout);
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 1, 1, &parsed)) return *exit;
  absl::StatusOr<CheckOptions> check_options = CheckOptionsFromArgs(parsed, kVerifyTimeout);
  absl::StatusOr<int> threads = ThreadsFromArgs(parsed);
  for (const absl::Status& s : {check_options.status(), threads.status()}) {
    if (!s.ok()) return ReportUsageError("rules verify", s);
  }
  const std::string& path = parsed.positional()[0];
  absl::StatusOr<RuleTable> table = rewrites::rules::ReadRuleTableFile(path);
  if (!table.ok()) return ReportError("rules verify", table.status());
  if (absl::Status s = rewrites::rules::ValidateRuleTable(*table, ir::OpRegistry::Global(), path); !s.ok()) {
    return ReportError("rules verify", s);
  }

  // Rules are independent; each proof has its own Z3 context.
  std::vector<RuleCheck> checks(table->rules.size());
  std::atomic<size_t> next{0};
  std::atomic<int64_t> done{0};
  ProgressLine bar(parsed.Has("progress") || isatty(fileno(stderr)));
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < *threads; ++t) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < checks.size(); i = next++) {
        checks[i] = CheckRule(table->rules[i], *check_options);
        DrawPhase(bar, "verify", ++done, static_cast<int64_t>(checks.size()));
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  bar.Finish();

  int proved = 0, bounded = 0, refuted = 0, unknown = 0, passed = 0, test_refuted = 0, untestable = 0, field = 0;
  int disagreements = 0;
  for (size_t i = 0; i < checks.size(); ++i) {
    const Rule& rule = table->rules[i];
    const RuleCheck& check = checks[i];
    ProofStatus status = ToProofStatus(check.proof);
    proved += status == ProofStatus::kProved;
    bounded += status == ProofStatus::kBounded;
    refuted += status == ProofStatus::kFailed;
    unknown += status == ProofStatus::kTimeout;
    passed += check.test.outcome == verifier::RuleTestOutcome::kPassed;
    test_refuted += check.test.outcome == verifier::RuleTestOutcome::kRefuted;
    untestable += check.test.outcome == verifier::RuleTestOutcome::kUntestable;
    field += check.test.field_checked;
    if (check.Disagree()) {
      ++disagreements;
      std::printf("DISAGREE %s: proved by Z3 (an axiom is wrong) but random testing refutes it: %s\n",
                  rule.name.c_str(), check.test.detail.c_str());
    } else if (status == ProofStatus::kFailed || check.test.outcome == verifier::RuleTestOutcome::kRefuted) {
      std::printf("REFUTED  %s: %s\n", rule.name.c_str(),
                  status == ProofStatus::kFailed ? check.proof.reason.c_str() : check.test.detail.c_str());
    } else if (status != ProofStatus::kProved) {
      std::printf("%-8s %s: %s\n", status == ProofStatus::kBounded ? "BOUNDED" : "UNKNOWN", rule.name.c_str(),
                  check.proof.reason.c_str());
    }
    table->rules[i].provenance.proof = status;
    table->rules[i].provenance.proof_seconds = check.proof.seconds;
  }
  int total = static_cast<int>(checks.size());
  std::printf("Z3: proved %d, refuted %d, unknown %d of %d", proved, refuted, unknown + bounded, total);
  if (bounded > 0) std::printf(" (%d of the unknown proved only at concrete shapes)", bounded);
  std::printf("\nrandom testing: passed %d, refuted %d, untestable %d of %d (%d also checked exactly over Z_p)\n",
              passed, test_refuted, untestable, total, field);
  std::printf("%.1f s on %d thread%s\n", Seconds(start), *threads, *threads == 1 ? "" : "s");
  if (std::optional<std::string> out = parsed.Get("output")) {
    if (absl::Status s = WriteTable(*out, *table); !s.ok()) return ReportError("rules verify", s);
  }
  bool failed = refuted > 0 || test_refuted > 0 || disagreements > 0 ||
                (parsed.Has("strict") && (unknown > 0 || bounded > 0 || untestable > 0));
  return failed ? kExitCheckFailed : kExitOk;
}

std::string Percentile(std::vector<double> values, double q) {
  if (values.empty()) return "-";
  std::sort(values.begin(), values.end());
  size_t index = std::min(values.size() - 1, static_cast<size_t>(q * static_cast<double>(values.size())));
  return absl::StrFormat("%.3f", values[index]);
}

int StatsCommand(const std::vector<std::string>& args) {
  ArgSpec spec("rules stats", "RULES...", "Summarizes rule tables: origins, proof status and times, sizes, ops.");
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 1, 64, &parsed)) return *exit;
  for (const std::string& path : parsed.positional()) {
    absl::StatusOr<RuleTable> table = rewrites::rules::ReadRuleTableFile(path);
    if (!table.ok()) return ReportError("rules stats", table.status());
    std::map<std::string, int> by_origin, by_proof, source_sizes, target_sizes, source_ops;
    std::vector<double> proof_times;
    int multi_output = 0, with_lets = 0;
    for (const Rule& rule : table->rules) {
      ++by_origin[rule.provenance.origin == Origin::kGenerated ? "generated" : "hand-written"];
      static const char* kProofNames[] = {"none", "proved", "bounded", "failed", "timeout"};
      ++by_proof[kProofNames[static_cast<int>(rule.provenance.proof)]];
      if (rule.provenance.proof_seconds > 0) proof_times.push_back(rule.provenance.proof_seconds);
      ++source_sizes[absl::StrCat(rule.source.nodes.size())];
      ++target_sizes[absl::StrCat(rule.target.nodes.size())];
      int roots = 0;
      for (const auto& node : rule.target.nodes) roots += static_cast<int>(node.outputs.size());
      std::set<std::string> read;
      for (const auto& node : rule.source.nodes)
        for (const std::string& input : node.inputs) read.insert(input);
      int source_roots = 0;
      for (const auto& node : rule.source.nodes)
        for (const std::string& output : node.outputs) source_roots += read.count(output) == 0;
      multi_output += source_roots > 1;
      with_lets += !rule.lets.empty();
      std::set<std::string> ops;
      for (const auto& node : rule.source.nodes) ops.insert(node.op);
      for (const std::string& op : ops) ++source_ops[op];
    }
    auto join = [](const std::map<std::string, int>& counts) {
      std::vector<std::string> parts;
      for (const auto& [key, n] : counts) parts.push_back(absl::StrCat(key, " ", n));
      return absl::StrJoin(parts, ", ");
    };
    std::vector<std::pair<int, std::string>> ops_by_count;
    for (const auto& [op, n] : source_ops) ops_by_count.push_back({-n, op});
    std::sort(ops_by_count.begin(), ops_by_count.end());
    std::vector<std::string> op_parts;
    for (const auto& [n, op] : ops_by_count) op_parts.push_back(absl::StrCat(op, " ", -n));
    double total_time = 0;
    for (double t : proof_times) total_time += t;
    std::printf("%s: %zu rules\n", path.c_str(), table->rules.size());
    std::printf("  origin:        %s\n", join(by_origin).c_str());
    std::printf("  proof:         %s\n", join(by_proof).c_str());
    std::printf("  proof time s:  total %.2f, median %s, p90 %s, max %s\n", total_time,
                Percentile(proof_times, 0.5).c_str(), Percentile(proof_times, 0.9).c_str(),
                Percentile(proof_times, 1.0).c_str());
    std::printf("  source ops:    %s\n", join(source_sizes).c_str());
    std::printf("  target ops:    %s\n", join(target_sizes).c_str());
    std::printf("  multi-output:  %d    with computed constants (let): %d\n", multi_output, with_lets);
    std::printf("  rules per op:  %s\n", absl::StrJoin(op_parts, ", ").c_str());
  }
  return kExitOk;
}

}  // namespace

int RulesCommand(const std::vector<std::string>& args) {
  static const char kUsage[] =
      "usage: gsopt rules <generate|verify|stats> ...\n\n"
      "  generate -o RULES [--max-ops N] [--ops LIST]  enumerate, prove and test new rules\n"
      "  verify RULES                                  re-prove and re-test every rule of a table\n"
      "  stats RULES...                                what a rule table holds\n\n"
      "Run 'gsopt rules <subcommand> --help' for options.\n";
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "generate") return GenerateCommand(rest);
  if (args[0] == "verify") return VerifyRulesCommand(rest);
  if (args[0] == "stats") return StatsCommand(rest);
  if (args[0] == "-h" || args[0] == "--help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  std::fprintf(stderr, "gsopt rules: unknown subcommand '%s'\n\n%s", args[0].c_str(), kUsage);
  return kExitUsage;
}

}  // namespace gsopt::cli
