// Helpers shared by all subcommands: argument parsing with --help and
// uniform error reporting.
#include "tools/gsopt/commands.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace gsopt::cli {

std::optional<int> ParseCommandLine(const ArgSpec& spec, const std::vector<std::string>& args,
                                    size_t min_positional, size_t max_positional, ParsedArgs* parsed) {
  absl::StatusOr<ParsedArgs> result = Parse(spec, args);
  if (!result.ok()) {
    std::fprintf(stderr, "gsopt %s: %s\n", spec.command().c_str(), std::string(result.status().message()).c_str());
    return kExitUsage;
  }
  if (result->help()) {
    std::fputs(spec.Help().c_str(), stdout);
    return kExitOk;
  }
  size_t n = result->positional().size();
  if (n < min_positional || n > max_positional) {
    std::fprintf(stderr, "gsopt %s: expected %s, got %zu argument%s\n%s", spec.command().c_str(),
                 min_positional == max_positional ? absl::StrCat(min_positional, " argument(s)").c_str()
                                                  : absl::StrCat(min_positional, " to ", max_positional, " arguments").c_str(),
                 n, n == 1 ? "" : "s", spec.Help().c_str());
    return kExitUsage;
  }
  *parsed = *std::move(result);
  return std::nullopt;
}

int ReportError(const std::string& command, const absl::Status& status) {
  std::fprintf(stderr, "gsopt %s: error: %s\n", command.c_str(), std::string(status.message()).c_str());
  return kExitError;
}

int ReportUsageError(const std::string& command, const absl::Status& status) {
  ReportError(command, status);
  return kExitUsage;
}

}  // namespace gsopt::cli
