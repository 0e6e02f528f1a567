// Implementation of the ONNX node-test runner.
#include "tools/gsopt/conformance.h"

#include <algorithm>
#include <filesystem>
#include <regex>

#include "absl/strings/str_cat.h"
#include "backend/cpu/executor.h"
#include "frontends/onnx/onnx_import.h"
#include "ir/op_registry.h"
#include "ir/verifier.h"

namespace gsopt::cli {
namespace fs = std::filesystem;
namespace {

// "ReduceSum" -> "reduce_sum", "LRN" -> "lrn", "MatMulInteger" -> "mat_mul_integer".
std::string SnakeCase(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool upper = c >= 'A' && c <= 'Z';
    if (upper && i > 0) {
      bool prev_lower = name[i - 1] >= 'a' && name[i - 1] <= 'z';
      bool next_lower = i + 1 < name.size() && name[i + 1] >= 'a' && name[i + 1] <= 'z';
      bool prev_upper = name[i - 1] >= 'A' && name[i - 1] <= 'Z';
      if (prev_lower || (prev_upper && next_lower)) out += '_';
    }
    out += upper ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

// The op a test is named after: the model's op whose snake-case name is the
// longest prefix of the test name (ONNX names tests test_<op>_<case>).
std::string OpOfTest(const std::string& test, const ir::Graph& graph) {
  std::string best;
  size_t best_len = 0;
  std::string name = test.rfind("test_", 0) == 0 ? test.substr(5) : test;
  std::string squashed = name;
  squashed.erase(std::remove(squashed.begin(), squashed.end(), '_'), squashed.end());
  for (ir::NodeId n : graph.LiveNodes()) {
    const std::string& op = graph.node(n).op_type;
    std::string snake = SnakeCase(op);
    std::string lower = snake;
    lower.erase(std::remove(lower.begin(), lower.end(), '_'), lower.end());
    bool match = name.rfind(snake, 0) == 0 || squashed.rfind(lower, 0) == 0;
    if (match && lower.size() > best_len) {
      best = op;
      best_len = lower.size();
    }
  }
  if (!best.empty()) return best;
  std::vector<ir::NodeId> nodes = graph.LiveNodes();
  return nodes.empty() ? "(empty)" : graph.node(nodes.front()).op_type;
}

std::vector<std::string> SortedPaths(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().string());
  }
  // input_10 after input_9: order by the number after the prefix.
  std::sort(out.begin(), out.end(), [&](const std::string& a, const std::string& b) {
    auto num = [&](const std::string& p) {
      std::string stem = fs::path(p).stem().string().substr(prefix.size());
      return stem.empty() ? 0L : std::strtol(stem.c_str(), nullptr, 10);
    };
    return num(a) < num(b);
  });
  return out;
}

// ONNX 1.12's test data stores bfloat16 tensors with data_type UINT16; read
// them as the bfloat16 the model declares (same bits).
ir::Tensor AsDeclaredBFloat16(ir::Tensor t, ir::DType declared) {
  if (declared != ir::DType::kBFloat16 || t.dtype() != ir::DType::kUInt16) return t;
  absl::StatusOr<ir::Tensor> reinterpreted = ir::Tensor::FromBytes(
      ir::DType::kBFloat16, t.dims(),
      absl::string_view(reinterpret_cast<const char*>(t.raw_data()), static_cast<size_t>(t.byte_size())));
  return reinterpreted.ok() ? *std::move(reinterpreted) : t;
}

// Half-precision results keep about 3 (bf16) or 4 (f16) significant digits:
// a kernel that computes in f32 and rounds once may differ from a reference
// that rounds at other points by an ulp or two, which rtol 1e-3 would call a
// failure. The floor is two ulps at 1.0.
verifier::Tolerance ToleranceFor(ir::DType dtype, verifier::Tolerance base) {
  double floor = dtype == ir::DType::kBFloat16 ? 2.0 / 128 : dtype == ir::DType::kFloat16 ? 2.0 / 1024 : 0.0;
  return {std::max(base.rtol, floor), std::max(base.atol, floor / 8)};
}

}  // namespace

ConformanceResult RunConformanceTest(const std::string& dir, const verifier::Tolerance& tolerance) {
  ConformanceResult result;
  result.test = fs::path(dir).filename().string();
  absl::StatusOr<ir::Graph> graph = frontends::onnx::ImportModelFile((fs::path(dir) / "model.onnx").string());
  if (!graph.ok()) {
    result.outcome = TestOutcome::kImportError;
    result.detail = std::string(graph.status().message());
    result.op = "(import error)";
    return result;
  }
  result.op = OpOfTest(result.test, *graph);
  for (ir::NodeId n : graph->LiveNodes()) {
    const ir::Node& node = graph->node(n);
    if (ir::OpRegistry::Global().Find(node.domain, node.op_type) == nullptr) {
      result.outcome = TestOutcome::kUnsupported;
      result.detail = absl::StrCat("op ", node.op_type, " is not registered");
      return result;
    }
  }
  absl::StatusOr<backend::cpu::CpuExecutor> executor = backend::cpu::CpuExecutor::Create(*graph);
  if (!executor.ok()) {
    result.outcome = TestOutcome::kUnsupported;
    result.detail = std::string(executor.status().message());
    return result;
  }
  if (absl::Status s = ir::VerifyGraph(*graph); !s.ok()) {
    result.detail = absl::StrCat("shape inference: ", s.message());
    return result;
  }
  std::vector<std::string> data_sets = SortedPaths(dir, "test_data_set_");
  if (data_sets.empty()) {
    result.outcome = TestOutcome::kUnsupported;
    result.detail = "no test_data_set_* directory";
    return result;
  }
  for (const std::string& data_set : data_sets) {
    std::vector<std::string> input_files = SortedPaths(data_set, "input_");
    std::vector<std::string> output_files = SortedPaths(data_set, "output_");
    if (input_files.size() != graph->inputs().size() || output_files.size() != graph->outputs().size()) {
      result.outcome = TestOutcome::kUnsupported;
      result.detail = absl::StrCat("test data has ", input_files.size(), " inputs / ", output_files.size(),
                                   " outputs, the model ", graph->inputs().size(), " / ", graph->outputs().size());
      return result;
    }
    std::vector<ir::Tensor> inputs;
    for (const std::string& file : input_files) {
      absl::StatusOr<ir::Tensor> t = frontends::onnx::LoadTensorFile(file);
      if (t.ok()) *t = AsDeclaredBFloat16(*std::move(t), graph->value(graph->inputs()[inputs.size()]).type.dtype);
      if (!t.ok()) {
        result.outcome = TestOutcome::kUnsupported;  // sequences, optionals, maps
        result.detail = std::string(t.status().message());
        return result;
      }
      inputs.push_back(*std::move(t));
    }
    absl::StatusOr<std::vector<ir::Tensor>> outputs = executor->Run(inputs);
    if (!outputs.ok()) {
      result.outcome = outputs.status().code() == absl::StatusCode::kUnimplemented ? TestOutcome::kUnsupported
                                                                                   : TestOutcome::kFailed;
      result.detail = std::string(outputs.status().message());
      return result;
    }
    for (size_t k = 0; k < output_files.size(); ++k) {
      absl::StatusOr<ir::Tensor> expected = frontends::onnx::LoadTensorFile(output_files[k]);
      if (!expected.ok()) {
        result.outcome = TestOutcome::kUnsupported;
        result.detail = std::string(expected.status().message());
        return result;
      }
      const std::string& name = graph->value(graph->outputs()[k]).name;
      *expected = AsDeclaredBFloat16(*std::move(expected), (*outputs)[k].dtype());
      verifier::TensorDiff diff = verifier::CompareTensors(name, (*outputs)[k], *expected,
                                                           ToleranceFor(expected->dtype(), tolerance));
      if (!diff.matches) {
        result.detail = absl::StrCat(fs::path(data_set).filename().string(), " output '", name, "': ", diff.problem);
        return result;
      }
      // Shape inference must have predicted what the kernel produced.
      const ir::TensorType& inferred = graph->value(graph->outputs()[k]).type;
      const ir::Tensor& actual = (*outputs)[k];
      bool agrees = inferred.dtype == ir::DType::kUndefined || inferred.dtype == actual.dtype();
      if (inferred.shape.rank_known()) {
        agrees &= inferred.shape.rank() == actual.rank();
        for (int64_t d = 0; agrees && d < actual.rank(); ++d) {
          const ir::Dim& dim = inferred.shape.dim(d);
          agrees &= !dim.is_static() || dim.value() == actual.dim(d);
        }
      }
      if (!agrees) {
        result.detail = absl::StrCat("output '", name, "': shape inference says ", inferred.ToString(),
                                     ", the kernel produced ", actual.type().ToString());
        return result;
      }
    }
  }
  result.outcome = TestOutcome::kPassed;
  return result;
}

std::vector<ConformanceResult> RunConformance(const std::string& root, const ConformanceOptions& options) {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec)) {
    if (fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path().string());
  }
  std::sort(dirs.begin(), dirs.end());
  std::regex filter(options.filter.empty() ? "" : options.filter);
  std::regex exclude(options.exclude.empty() ? "$^" : options.exclude);
  std::vector<ConformanceResult> results;
  for (const std::string& dir : dirs) {
    std::string name = fs::path(dir).filename().string();
    if (!options.filter.empty() && !std::regex_search(name, filter)) continue;
    if (!options.exclude.empty() && std::regex_search(name, exclude)) continue;
    results.push_back(RunConformanceTest(dir, options.tolerance));
  }
  return results;
}

}  // namespace gsopt::cli
