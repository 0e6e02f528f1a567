// Bounded protobuf parsing, atomic writes and ir -> proto conversions used by
// both directions of the ONNX frontend.
#include "frontends/onnx/proto_io.h"

#include "frontends/onnx/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace gsopt::frontends::onnx::internal {
namespace {

// Protobuf counts message sizes in int; nothing larger can be one message.
constexpr int64_t kMaxProtoBytes = INT_MAX;

std::string ErrnoText() { return std::strerror(errno); }

absl::Status ParseFromStream(google::protobuf::io::ZeroCopyInputStream* stream,
                             google::protobuf::MessageLite* message) {
  google::protobuf::io::CodedInputStream coded(stream);
  coded.SetTotalBytesLimit(INT_MAX);
  if (!message->ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
    return absl::InvalidArgumentError("parse failed");
  }
  return absl::OkStatus();
}

// Closes a file descriptor on every path out of a function.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  // Closes now and reports whether close() succeeded (it can report a failed write).
  bool CloseNow() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

}  // namespace

absl::Status ParseProtoFile(const std::string& path, absl::string_view what,
                            google::protobuf::MessageLite* message) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText()));
  FdCloser closer(fd);
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot stat: ", ErrnoText()));
  }
  if (S_ISDIR(info.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, expected an ", what, " file"));
  }
  if (info.st_size == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": file is empty"));
  if (static_cast<int64_t>(info.st_size) > kMaxProtoBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": file is ", info.st_size, " bytes; a protobuf message cannot exceed 2 GiB ",
        "(store the weights as ONNX external data)"));
  }
  google::protobuf::io::FileInputStream stream(fd);
  if (!ParseFromStream(&stream, message).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a valid ", what, " (protobuf parsing failed: the file is truncated, corrupt or ",
        "of another format)"));
  }
  return absl::OkStatus();
}

absl::Status ParseProtoBytes(absl::string_view bytes, absl::string_view label, absl::string_view what,
                             google::protobuf::MessageLite* message) {
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(label, ": no bytes (empty ", what, ")"));
  if (static_cast<int64_t>(bytes.size()) > kMaxProtoBytes) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": ", bytes.size(),
                                                   " bytes; a protobuf message cannot exceed 2 GiB"));
  }
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  if (!ParseFromStream(&stream, message).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": not a valid ", what, " (protobuf parsing failed: truncated, corrupt or another format)"));
  }
  return absl::OkStatus();
}

std::string DirectoryOf(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}


absl::Status TensorToProto(const ir::Tensor& tensor, const std::string& name, ::onnx::TensorProto* proto) {
  if (!tensor.is_defined()) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "' is undefined (no dtype)"));
  }
  proto->Clear();
  proto->set_name(name);
  proto->set_data_type(static_cast<int32_t>(tensor.dtype()));
  for (int64_t d : tensor.dims()) proto->add_dims(d);
  if (tensor.dtype() == ir::DType::kString) {
    for (const std::string& s : tensor.strings()) proto->add_string_data(s);
  } else {
    proto->set_raw_data(reinterpret_cast<const char*>(tensor.raw_data()),
                        static_cast<size_t>(tensor.byte_size()));
  }
  return absl::OkStatus();
}

void TensorTypeToProto(const ir::TensorType& type, ::onnx::TypeProto* proto) {
  ::onnx::TypeProto_Tensor* tensor_type = proto->mutable_tensor_type();
  tensor_type->set_elem_type(static_cast<int32_t>(type.dtype));
  if (!type.shape.rank_known()) return;
  ::onnx::TensorShapeProto* shape = tensor_type->mutable_shape();
  for (const ir::Dim& dim : type.shape.dims()) {
    ::onnx::TensorShapeProto_Dimension* out = shape->add_dim();
    if (dim.is_static()) {
      out->set_dim_value(dim.value());
    } else if (dim.is_symbolic()) {
      out->set_dim_param(dim.symbol());
    }
  }
}

}  // namespace gsopt::frontends::onnx::internal

namespace gsopt::frontends::onnx {

absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes) {
  std::filesystem::path target(path);
  if (target.filename().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a file name"));
  }
  std::string dir = internal::DirectoryOf(path);
  std::string temp_name =
      (std::filesystem::path(dir) / absl::StrCat(".", target.filename().string(), ".tmp.XXXXXX")).string();
  int fd = ::mkstemp(temp_name.data());
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot create a temporary file in '", dir, "': ", internal::ErrnoText()));
  }
  internal::FdCloser closer(fd);
  auto fail = [&](absl::string_view step) {
    std::string reason = internal::ErrnoText();
    closer.CloseNow();
    ::unlink(temp_name.c_str());
    return absl::InternalError(absl::StrCat(path, ": ", step, " failed: ", reason));
  };
  // mkstemp creates the file private to the owner; a model is an ordinary file.
  if (::fchmod(fd, 0644) != 0) return fail("chmod of the temporary file");
  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t written = ::write(fd, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
  if (::fsync(fd) != 0) return fail("fsync");
  if (!closer.CloseNow()) {
    std::string reason = internal::ErrnoText();
    ::unlink(temp_name.c_str());
    return absl::InternalError(absl::StrCat(path, ": close failed: ", reason));
  }
  if (::rename(temp_name.c_str(), path.c_str()) != 0) {
    std::string reason = internal::ErrnoText();
    ::unlink(temp_name.c_str());
    return absl::InternalError(absl::StrCat(path, ": cannot replace the file: ", reason));
  }
  return absl::OkStatus();
}

}  // namespace gsopt::frontends::onnx
