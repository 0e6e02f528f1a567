// Implementation of extension-based model loading and safe saving.
#include "tools/gsopt/model_io.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "frontends/onnx/onnx_export.h"
#include "frontends/onnx/onnx_import.h"
#include "frontends/onnx/file_io.h"
#include "frontends/text/text_format.h"
#include "ir/op_registry.h"

namespace gsopt::cli {
namespace fs = std::filesystem;

absl::StatusOr<LoadOptions> LoadOptionsFromArgs(const ParsedArgs& args) {
  LoadOptions options;
  for (const std::string& spec : args.GetAll("input-shape")) {
    absl::StatusOr<std::pair<std::string, std::vector<int64_t>>> parsed = ParseNameAndInts(spec);
    if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat("--input-shape: ", parsed.status().message()));
    options.input_shapes[parsed->first] = parsed->second;
  }
  return options;
}

absl::StatusOr<ir::Graph> LoadModel(const std::string& path, const LoadOptions& options) {
  if (absl::EndsWith(path, ".gsir")) {
    absl::StatusOr<ir::Graph> graph = frontends::text::ParseGraphFile(path);
    if (!graph.ok()) return graph.status();
    if (!options.input_shapes.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": --input-shape applies to .onnx models only"));
    }
    return graph;
  }
  frontends::onnx::ImportOptions import_options;
  import_options.input_shapes = options.input_shapes;
  import_options.strict_shapes = options.strict_shapes;
  return frontends::onnx::ImportModelFile(path, import_options);
}

absl::Status SaveModel(const ir::Graph& graph, const std::string& path, const std::string& input_path) {
  if (!input_path.empty()) {
    std::error_code ec;
    bool same = fs::exists(path, ec) && fs::equivalent(path, input_path, ec);
    if (same || fs::weakly_canonical(path, ec) == fs::weakly_canonical(input_path, ec)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": refusing to overwrite the input model; choose another output path"));
    }
  }
  if (absl::EndsWith(path, ".gsir")) {
    return frontends::onnx::WriteFileAtomically(path, frontends::text::PrintGraph(graph));
  }
  if (absl::EndsWith(path, ".onnx")) return frontends::onnx::ExportModelFile(graph, path);
  return absl::InvalidArgumentError(absl::StrCat(path, ": unknown output format (use .onnx or .gsir)"));
}

}  // namespace gsopt::cli
