// `gsopt convert IN -o OUT`: ONNX <-> text IR, chosen by the extensions.
#include <cstdio>

#include "tools/gsopt/commands.h"
#include "tools/gsopt/model_io.h"

namespace gsopt::cli {

int ConvertCommand(const std::vector<std::string>& args) {
  ArgSpec spec("convert", "IN -o OUT", "Converts between ONNX (.onnx) and gsopt's text IR (.gsir).");
  spec.Option("output", "OUT", "output file (.onnx or .gsir)", "o")
      .Repeated("input-shape", "NAME=D1,D2,..", "fix the dims of a graph input");
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 1, 1, &parsed)) return *exit;
  std::optional<std::string> out = parsed.Get("output");
  if (!out) {
    std::fprintf(stderr, "gsopt convert: -o OUT is required\n");
    return kExitUsage;
  }
  absl::StatusOr<LoadOptions> load_options = LoadOptionsFromArgs(parsed);
  if (!load_options.ok()) return ReportError("convert", load_options.status());
  load_options->strict_shapes = false;
  absl::StatusOr<ir::Graph> graph = LoadModel(parsed.positional()[0], *load_options);
  if (!graph.ok()) return ReportError("convert", graph.status());
  if (absl::Status s = SaveModel(*graph, *out, parsed.positional()[0]); !s.ok()) return ReportError("convert", s);
  std::printf("wrote %s (%d nodes)\n", out->c_str(), graph->num_live_nodes());
  return kExitOk;
}

}  // namespace gsopt::cli
