// Loading and saving models for the CLI by file extension (.onnx is ONNX
// protobuf, .gsir is gsopt's text IR), with the CLI's safety rules: an
// output never replaces its input and is written atomically.
#ifndef GSOPT_TOOLS_GSOPT_MODEL_IO_H_
#define GSOPT_TOOLS_GSOPT_MODEL_IO_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "tools/gsopt/cli_args.h"

namespace gsopt::cli {

struct LoadOptions {
  std::map<std::string, std::vector<int64_t>> input_shapes;  // --input-shape name=1,128
  // Reject nodes whose input shapes certainly do not fit. `convert` turns this
  // off: a format conversion carries a model as it is, even one that only
  // runs after some runtime's fusions have rewritten it.
  bool strict_shapes = true;
};

// Reads the --input-shape options of a parsed command line.
absl::StatusOr<LoadOptions> LoadOptionsFromArgs(const ParsedArgs& args);

absl::StatusOr<ir::Graph> LoadModel(const std::string& path, const LoadOptions& options = {});
// Fails without touching anything when `path` names the same file as
// `input_path` (also through links) or has an unknown extension.
absl::Status SaveModel(const ir::Graph& graph, const std::string& path, const std::string& input_path = "");

}  // namespace gsopt::cli

#endif  // GSOPT_TOOLS_GSOPT_MODEL_IO_H_
