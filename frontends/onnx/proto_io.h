// Internal helpers shared by ONNX import and export: bounded protobuf parsing
// from files and memory, atomic file writes, and the ir -> proto conversions
// of tensors and types. Not part of the frontend's public interface (the
// atomic file writer is: frontends/onnx/file_io.h).
#ifndef GSOPT_FRONTENDS_ONNX_PROTO_IO_H_
#define GSOPT_FRONTENDS_ONNX_PROTO_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ir/shape.h"
#include "ir/tensor.h"
#include <google/protobuf/message_lite.h>
#include <onnx/onnx_pb.h>

namespace gsopt::frontends::onnx::internal {

// Parses the whole of `path` into `message`. Protobuf's default 64 MiB limit
// is raised to its 2 GiB maximum; larger files are refused with a message
// that says so. `what` names the expected content ("ONNX model") in errors.
absl::Status ParseProtoFile(const std::string& path, absl::string_view what,
                            google::protobuf::MessageLite* message);
// Same for bytes in memory; errors start with `label`.
absl::Status ParseProtoBytes(absl::string_view bytes, absl::string_view label, absl::string_view what,
                             google::protobuf::MessageLite* message);

// Fills `proto` with `tensor` (raw_data, or string_data for strings).
absl::Status TensorToProto(const ir::Tensor& tensor, const std::string& name, ::onnx::TensorProto* proto);
// A tensor TypeProto: elem_type and, when the rank is known, the dims
// (static as dim_value, symbolic as dim_param, unknown left empty).
void TensorTypeToProto(const ir::TensorType& type, ::onnx::TypeProto* proto);

// The folder part of a path ("." when there is none).
std::string DirectoryOf(const std::string& path);

}  // namespace gsopt::frontends::onnx::internal

#endif  // GSOPT_FRONTENDS_ONNX_PROTO_IO_H_
