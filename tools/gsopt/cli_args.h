// A small command-line parser for gsopt's subcommands: positional
// arguments, `--flag value` / `--flag=value` options (repeatable ones
// collected in order) and boolean switches, with generated --help text.
// Abseil's flags are process-global, which does not suit per-subcommand
// option sets, hence this.
#ifndef GSOPT_TOOLS_GSOPT_CLI_ARGS_H_
#define GSOPT_TOOLS_GSOPT_CLI_ARGS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gsopt::cli {

struct OptionSpec {
  std::string name;       // without dashes
  std::string value_name; // empty for a boolean switch
  std::string help;
  bool repeated = false;
  std::string alias;      // e.g. "o" for -o
};

class ArgSpec {
 public:
  ArgSpec(std::string command, std::string usage, std::string description)
      : command_(std::move(command)), usage_(std::move(usage)), description_(std::move(description)) {}
  ArgSpec& Option(std::string name, std::string value_name, std::string help, std::string alias = "");
  ArgSpec& Repeated(std::string name, std::string value_name, std::string help);
  ArgSpec& Switch(std::string name, std::string help);
  std::string Help() const;
  const std::string& command() const { return command_; }
  const std::vector<OptionSpec>& options() const { return options_; }

 private:
  std::string command_, usage_, description_;
  std::vector<OptionSpec> options_;
};

class ParsedArgs {
 public:
  const std::vector<std::string>& positional() const { return positional_; }
  bool help() const { return help_; }
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  std::vector<std::string> GetAll(const std::string& name) const;
  absl::StatusOr<double> GetDouble(const std::string& name, double fallback) const;
  absl::StatusOr<int64_t> GetInt(const std::string& name, int64_t fallback) const;

 private:
  friend absl::StatusOr<ParsedArgs> Parse(const ArgSpec& spec, const std::vector<std::string>& args);
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
  bool help_ = false;
};

absl::StatusOr<ParsedArgs> Parse(const ArgSpec& spec, const std::vector<std::string>& args);

// "name=1,3,224" -> {name, {1,3,224}}; used by --input-shape and --dim.
absl::StatusOr<std::pair<std::string, std::vector<int64_t>>> ParseNameAndInts(const std::string& text);

}  // namespace gsopt::cli

#endif  // GSOPT_TOOLS_GSOPT_CLI_ARGS_H_
