// gsopt: the command-line entry point. Dispatches to a subcommand; each
// subcommand lives in its own cmd_*.cc file.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/gsopt/commands.h"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(const std::vector<std::string>&);
  const char* summary;
};

constexpr Subcommand kSubcommands[] = {
    {"info", gsopt::cli::InfoCommand, "ops, parameters, inputs/outputs and FLOPs of a model"},
    {"run", gsopt::cli::RunCommand, "execute a model on given or random inputs, compare with expected"},
    {"convert", gsopt::cli::ConvertCommand, "convert between ONNX (.onnx) and text IR (.gsir)"},
    {"optimize", gsopt::cli::OptimizeCommand, "optimize a model and check the result against it"},
    {"explain", gsopt::cli::ExplainCommand, "list where rewrite rules match a model and what each would save"},
    {"rewrite", gsopt::cli::RewriteCommand, "apply chosen rules wherever they match (rule testing, bisection)"},
    {"verify", gsopt::cli::VerifyCommand, "compare two models on random inputs"},
    {"randomize-weights", gsopt::cli::RandomizeWeightsCommand, "replace weights by seeded random values"},
    {"test-onnx", gsopt::cli::TestOnnxCommand, "run ONNX backend node tests (conformance)"},
    {"rules", gsopt::cli::RulesCommand, "generate, verify (Z3 + random testing) and summarize rule tables"},
};

void PrintUsage(FILE* out) {
  std::fprintf(out, "usage: gsopt <command> [options]\n\ncommands:\n");
  for (const Subcommand& c : kSubcommands) std::fprintf(out, "  %-18s %s\n", c.name, c.summary);
  std::fprintf(out, "\nRun 'gsopt <command> --help' for a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return gsopt::cli::kExitUsage;
  }
  std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    PrintUsage(stdout);
    return gsopt::cli::kExitOk;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const Subcommand& c : kSubcommands) {
    if (command == c.name) return c.run(args);
  }
  std::fprintf(stderr, "gsopt: unknown command '%s'\n\n", command.c_str());
  PrintUsage(stderr);
  return gsopt::cli::kExitUsage;
}
