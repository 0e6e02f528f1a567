// Atomic file output, used for every file gsopt writes (models, text IR,
// tensors): a reader never sees a half-written file, and a failed write
// leaves the destination as it was.
#ifndef GSOPT_FRONTENDS_ONNX_FILE_IO_H_
#define GSOPT_FRONTENDS_ONNX_FILE_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gsopt::frontends::onnx {

// Writes `bytes` to a temporary file beside `path`, flushes it and renames it
// over `path`. On failure the temporary file is removed and `path` untouched.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes);

}  // namespace gsopt::frontends::onnx

#endif  // GSOPT_FRONTENDS_ONNX_FILE_IO_H_
