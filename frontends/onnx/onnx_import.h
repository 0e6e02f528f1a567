// Reading ONNX files into an ir::Graph, and single tensors to and from the
// serialized TensorProto files (.pb) that ONNX test data uses.
//
// Import is the one place where untrusted bytes enter gsopt, so every problem
// with the file (bad protobuf, dangling or duplicate names, absurd dims, data
// of the wrong size, external data outside the model folder) comes back as an
// absl::Status whose message names the file and the node or tensor at fault.
// What gsopt does not interpret — ops it does not know, other domains,
// subgraph attributes, non-tensor value types, model-local functions,
// training info — is carried through untouched so that export writes it back.
#ifndef GSOPT_FRONTENDS_ONNX_ONNX_IMPORT_H_
#define GSOPT_FRONTENDS_ONNX_ONNX_IMPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/graph.h"
#include "ir/tensor.h"
#include <onnx/onnx_pb.h>

namespace gsopt::frontends::onnx {

struct ImportOptions {
  // Replaces the declared dims of the named graph inputs (typically to fix
  // symbolic dims such as "batch"). Naming a value that is not a runtime input,
  // or giving a rank other than the declared one, is an error.
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // Run ir::InferShapes after import.
  bool infer_shapes = true;
  // With shape inference, a node whose inputs certainly do not fit (Add of
  // [2,3] and [4,5], say) fails the import with an error naming the node.
  // Off, such nodes keep their declared types and fail only when executed.
  bool strict_shapes = true;
};

// Reads a .onnx file. External data is looked up relative to the file's folder.
absl::StatusOr<ir::Graph> ImportModelFile(const std::string& path, const ImportOptions& options = {});
// Same for a serialized ModelProto already in memory; `model_dir` is the folder
// external data is relative to ("" means the current directory).
absl::StatusOr<ir::Graph> ImportModelBytes(absl::string_view bytes, const std::string& model_dir,
                                           const ImportOptions& options = {});

// Converts one TensorProto: raw_data, any of the typed repeated fields, or
// external data (read relative to `model_dir`, never outside it).
absl::StatusOr<ir::Tensor> TensorFromProto(const ::onnx::TensorProto& proto, const std::string& model_dir);
// Reads a file holding one serialized TensorProto.
absl::StatusOr<ir::Tensor> LoadTensorFile(const std::string& path);
// Writes `tensor` as one serialized TensorProto named `name` (atomically).
absl::Status SaveTensorFile(const ir::Tensor& tensor, const std::string& name, const std::string& path);

}  // namespace gsopt::frontends::onnx

#endif  // GSOPT_FRONTENDS_ONNX_ONNX_IMPORT_H_
