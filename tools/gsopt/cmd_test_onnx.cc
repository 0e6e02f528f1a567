// `gsopt test-onnx DIR`: the conformance report — `passed P / total T` and a
// per-operator table; with --min-passed, exits 3 if fewer tests pass (the
// pass count only goes up).
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>

#include "absl/strings/str_cat.h"
#include "tools/gsopt/commands.h"
#include "tools/gsopt/conformance.h"

namespace gsopt::cli {

int TestOnnxCommand(const std::vector<std::string>& args) {
  ArgSpec spec("test-onnx", "DIR",
               "Runs ONNX backend node tests: DIR holds test directories, each with model.onnx and\n"
               "test_data_set_N/{input,output}_K.pb (e.g. /usr/share/libonnx-testdata/data/node).");
  spec.Option("filter", "REGEX", "run only tests whose name matches")
      .Option("exclude", "REGEX", "skip tests whose name matches")
      .Option("rtol", "R", "relative tolerance (default 1e-3)")
      .Option("atol", "A", "absolute tolerance (default 1e-5)")
      .Option("min-passed", "N", "exit 3 when fewer than N tests pass")
      .Switch("verbose", "print every test's outcome, not only the failures")
      .Switch("table", "print the per-operator table");
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 1, 1, &parsed)) return *exit;
  const std::string& root = parsed.positional()[0];
  if (!std::filesystem::is_directory(root)) {
    return ReportError("test-onnx", absl::NotFoundError(absl::StrCat(root, ": not a directory")));
  }
  ConformanceOptions options;
  options.filter = parsed.GetOr("filter", "");
  options.exclude = parsed.GetOr("exclude", "");
  absl::StatusOr<double> rtol = parsed.GetDouble("rtol", 1e-3);
  absl::StatusOr<double> atol = parsed.GetDouble("atol", 1e-5);
  absl::StatusOr<int64_t> min_passed = parsed.GetInt("min-passed", 0);
  for (const absl::Status& s : {rtol.status(), atol.status(), min_passed.status()}) {
    if (!s.ok()) return ReportError("test-onnx", s);
  }
  options.tolerance = {*rtol, *atol};
  try {
    std::regex check_filter(options.filter), check_exclude(options.exclude);
  } catch (const std::regex_error& e) {
    return ReportError("test-onnx", absl::InvalidArgumentError(absl::StrCat("bad regex: ", e.what())));
  }

  std::vector<ConformanceResult> results = RunConformance(root, options);
  struct Counts {
    int passed = 0, total = 0;
  };
  std::map<std::string, Counts> per_op;
  int passed = 0, failed = 0, unsupported = 0, import_errors = 0;
  for (const ConformanceResult& r : results) {
    Counts& c = per_op[r.op];
    ++c.total;
    const char* label = "";
    switch (r.outcome) {
      case TestOutcome::kPassed: ++passed; ++c.passed; label = "PASS"; break;
      case TestOutcome::kFailed: ++failed; label = "FAIL"; break;
      case TestOutcome::kUnsupported: ++unsupported; label = "UNSUPPORTED"; break;
      case TestOutcome::kImportError: ++import_errors; label = "IMPORT-ERROR"; break;
    }
    bool show = parsed.Has("verbose") || r.outcome == TestOutcome::kFailed || r.outcome == TestOutcome::kImportError;
    if (show) std::printf("%-12s %s%s%s\n", label, r.test.c_str(), r.detail.empty() ? "" : ": ", r.detail.c_str());
  }
  if (parsed.Has("table")) {
    std::printf("\n%-28s %8s %8s\n", "op", "passed", "total");
    for (const auto& [op, c] : per_op) std::printf("%-28s %8d %8d\n", op.c_str(), c.passed, c.total);
  }
  std::printf("\npassed %d / total %zu (failed %d, unsupported %d, import errors %d)\n", passed, results.size(), failed,
              unsupported, import_errors);
  if (passed < *min_passed) {
    std::fprintf(stderr, "gsopt test-onnx: error: %d tests passed, fewer than the required %lld\n", passed,
                 static_cast<long long>(*min_passed));
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace gsopt::cli
