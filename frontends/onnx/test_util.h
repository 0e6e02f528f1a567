// Small builders for ONNX protos and scratch folders used by the frontend's
// tests, so each test states only the part of a model it is about.
#ifndef GSOPT_FRONTENDS_ONNX_TEST_UTIL_H_
#define GSOPT_FRONTENDS_ONNX_TEST_UTIL_H_

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include <onnx/onnx_pb.h>

namespace gsopt::frontends::onnx::testing {

inline ::onnx::ModelProto MakeModel(int64_t ir_version = 8, int64_t opset = 17) {
  ::onnx::ModelProto model;
  model.set_ir_version(ir_version);
  ::onnx::OperatorSetIdProto* import = model.add_opset_import();
  import->set_domain("");
  import->set_version(opset);
  model.mutable_graph()->set_name("test_graph");
  return model;
}

// dims: >= 0 static, -1 unknown; `symbols` names dims whose entry is -2, in order.
inline void SetTensorType(::onnx::TypeProto* type, int32_t elem_type, const std::vector<int64_t>& dims,
                          const std::vector<std::string>& symbols = {}) {
  auto* tensor = type->mutable_tensor_type();
  tensor->set_elem_type(elem_type);
  auto* shape = tensor->mutable_shape();
  size_t next_symbol = 0;
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d >= 0) dim->set_dim_value(d);
    if (d == -2) dim->set_dim_param(symbols.at(next_symbol++));
  }
}

inline ::onnx::ValueInfoProto* AddInput(::onnx::GraphProto* graph, const std::string& name, int32_t elem_type,
                                        const std::vector<int64_t>& dims,
                                        const std::vector<std::string>& symbols = {}) {
  ::onnx::ValueInfoProto* info = graph->add_input();
  info->set_name(name);
  SetTensorType(info->mutable_type(), elem_type, dims, symbols);
  return info;
}

inline ::onnx::ValueInfoProto* AddOutput(::onnx::GraphProto* graph, const std::string& name, int32_t elem_type,
                                         const std::vector<int64_t>& dims) {
  ::onnx::ValueInfoProto* info = graph->add_output();
  info->set_name(name);
  SetTensorType(info->mutable_type(), elem_type, dims);
  return info;
}

inline ::onnx::NodeProto* AddNode(::onnx::GraphProto* graph, const std::string& op_type,
                                  const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                                  const std::string& name = "", const std::string& domain = "") {
  ::onnx::NodeProto* node = graph->add_node();
  node->set_op_type(op_type);
  node->set_name(name);
  if (!domain.empty()) node->set_domain(domain);
  for (const auto& in : inputs) node->add_input(in);
  for (const auto& out : outputs) node->add_output(out);
  return node;
}

inline ::onnx::TensorProto* AddFloatInitializer(::onnx::GraphProto* graph, const std::string& name,
                                                const std::vector<int64_t>& dims, const std::vector<float>& values) {
  ::onnx::TensorProto* t = graph->add_initializer();
  t->set_name(name);
  t->set_data_type(::onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
  return t;
}

// A fresh folder under the test temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "gsopt_onnx_XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }
  std::string Write(const std::string& name, const std::string& bytes) const {
    std::string file = File(name);
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }
  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string path_;
};

}  // namespace gsopt::frontends::onnx::testing

#endif  // GSOPT_FRONTENDS_ONNX_TEST_UTIL_H_
