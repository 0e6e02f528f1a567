// The gsopt subcommands. Each takes its arguments (after the subcommand
// name) and returns the process exit code: 0 success, 1 error (a one-line
// message naming the file, node and problem is printed to stderr), 2 bad
// usage, 3 a check failed (verification mismatch, conformance regression).
#ifndef GSOPT_TOOLS_GSOPT_COMMANDS_H_
#define GSOPT_TOOLS_GSOPT_COMMANDS_H_

#include <string>
#include <vector>

#include <optional>

#include "absl/status/status.h"
#include "tools/gsopt/cli_args.h"
#include "verifier/random/random_tensors.h"

namespace gsopt::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCheckFailed = 3;

int InfoCommand(const std::vector<std::string>& args);
int RunCommand(const std::vector<std::string>& args);
int ConvertCommand(const std::vector<std::string>& args);
int OptimizeCommand(const std::vector<std::string>& args);
int ExplainCommand(const std::vector<std::string>& args);
int RewriteCommand(const std::vector<std::string>& args);
int VerifyCommand(const std::vector<std::string>& args);
int RandomizeWeightsCommand(const std::vector<std::string>& args);
int TestOnnxCommand(const std::vector<std::string>& args);
int RulesCommand(const std::vector<std::string>& args);

// Parses a subcommand's arguments. Returns an exit code when the command
// should stop now (--help printed: 0; bad usage: 2), nullopt to go on.
std::optional<int> ParseCommandLine(const ArgSpec& spec, const std::vector<std::string>& args,
                                    size_t min_positional, size_t max_positional, ParsedArgs* parsed);

// Reads --seed and --dim SYMBOL=VALUE (random inputs for run/verify/optimize).
absl::StatusOr<verifier::RandomInputOptions> RandomInputOptionsFromArgs(const ParsedArgs& args);

// 1234567 -> "1.23M".
std::string HumanCount(double n);

// Prints "gsopt <command>: error: <message>" and returns kExitError, or
// kExitUsage for InvalidArgument errors that came from the command line.
int ReportError(const std::string& command, const absl::Status& status);
// The same message for a bad option value; returns kExitUsage.
int ReportUsageError(const std::string& command, const absl::Status& status);

}  // namespace gsopt::cli

#endif  // GSOPT_TOOLS_GSOPT_COMMANDS_H_
