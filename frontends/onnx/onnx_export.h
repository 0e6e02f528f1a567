// Writing an ir::Graph back out as an ONNX ModelProto: model facts from
// ModelMetadata, nodes in execution order, constants as raw_data
// initializers, declared types (symbolic dims as dim_param) and everything
// import kept opaque (subgraph attributes, non-tensor types, functions,
// training info) restored as it was read.
#ifndef GSOPT_FRONTENDS_ONNX_ONNX_EXPORT_H_
#define GSOPT_FRONTENDS_ONNX_ONNX_EXPORT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace gsopt::frontends::onnx {

absl::StatusOr<std::string> ExportModelBytes(const ir::Graph& graph);
// Writes through a temporary file in the destination folder and rename(), so
// a failed export leaves any existing file at `path` untouched.
absl::Status ExportModelFile(const ir::Graph& graph, const std::string& path);

}  // namespace gsopt::frontends::onnx

#endif  // GSOPT_FRONTENDS_ONNX_ONNX_EXPORT_H_
