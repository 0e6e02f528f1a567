// Implementation of the subcommand argument parser.
#include "tools/gsopt/cli_args.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gsopt::cli {

ArgSpec& ArgSpec::Option(std::string name, std::string value_name, std::string help, std::string alias) {
  options_.push_back({std::move(name), std::move(value_name), std::move(help), false, std::move(alias)});
  return *this;
}

ArgSpec& ArgSpec::Repeated(std::string name, std::string value_name, std::string help) {
  options_.push_back({std::move(name), std::move(value_name), std::move(help), true, ""});
  return *this;
}

ArgSpec& ArgSpec::Switch(std::string name, std::string help) {
  options_.push_back({std::move(name), "", std::move(help), false, ""});
  return *this;
}

std::string ArgSpec::Help() const {
  std::string out = absl::StrCat("usage: gsopt ", command_, " ", usage_, "\n\n", description_, "\n");
  if (!options_.empty()) out += "\noptions:\n";
  for (const OptionSpec& o : options_) {
    std::string left = o.alias.empty() ? "  " : absl::StrCat("  -", o.alias, ", ");
    absl::StrAppend(&left, "--", o.name, o.value_name.empty() ? "" : absl::StrCat(" ", o.value_name));
    if (left.size() < 30) left.resize(30, ' ');
    absl::StrAppend(&out, left, " ", o.help, o.repeated ? " (repeatable)" : "", "\n");
  }
  absl::StrAppend(&out, "  -h, --help                   show this help\n");
  return out;
}

std::optional<std::string> ParsedArgs::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::GetOr(const std::string& name, const std::string& fallback) const {
  return Get(name).value_or(fallback);
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

absl::StatusOr<double> ParsedArgs::GetDouble(const std::string& name, double fallback) const {
  std::optional<std::string> v = Get(name);
  if (!v) return fallback;
  double d;
  if (!absl::SimpleAtod(*v, &d)) return absl::InvalidArgumentError(absl::StrCat("--", name, ": not a number: '", *v, "'"));
  return d;
}

absl::StatusOr<int64_t> ParsedArgs::GetInt(const std::string& name, int64_t fallback) const {
  std::optional<std::string> v = Get(name);
  if (!v) return fallback;
  int64_t i;
  if (!absl::SimpleAtoi(*v, &i)) return absl::InvalidArgumentError(absl::StrCat("--", name, ": not an integer: '", *v, "'"));
  return i;
}

absl::StatusOr<ParsedArgs> Parse(const ArgSpec& spec, const std::vector<std::string>& args) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      parsed.help_ = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg == "--") {
      parsed.positional_.push_back(arg);
      continue;
    }
    std::string name;
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      name = arg.substr(2);
      if (size_t eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
    } else {
      name = arg.substr(1);
    }
    const OptionSpec* option = nullptr;
    for (const OptionSpec& o : spec.options()) {
      if (o.name == name || (!o.alias.empty() && o.alias == name)) option = &o;
    }
    if (option == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", arg, "' for 'gsopt ", spec.command(),
                                                     "' (see gsopt ", spec.command(), " --help)"));
    }
    if (option->value_name.empty()) {
      if (inline_value) return absl::InvalidArgumentError(absl::StrCat("option --", option->name, " takes no value"));
      parsed.values_[option->name].push_back("true");
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("option --", option->name, " needs a value (", option->value_name, ")"));
    }
    std::vector<std::string>& slot = parsed.values_[option->name];
    if (!option->repeated) slot.clear();
    slot.push_back(value);
  }
  return parsed;
}

absl::StatusOr<std::pair<std::string, std::vector<int64_t>>> ParseNameAndInts(const std::string& text) {
  size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat("expected NAME=D1,D2,... but got '", text, "'"));
  }
  std::vector<int64_t> values;
  std::string list = text.substr(eq + 1);
  if (!list.empty()) {
    for (absl::string_view part : absl::StrSplit(list, ',')) {
      int64_t v;
      if (!absl::SimpleAtoi(part, &v) || v < 0) {
        return absl::InvalidArgumentError(absl::StrCat("'", text, "': '", std::string(part), "' is not a non-negative integer"));
      }
      values.push_back(v);
    }
  }
  return std::make_pair(text.substr(0, eq), values);
}

}  // namespace gsopt::cli
