// `gsopt run MODEL`: executes a model with gsopt's CPU executor on inputs
// read from TensorProto files or on seeded random inputs, prints a summary
// of every output, and compares outputs with expected TensorProto files.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "backend/cpu/executor.h"
#include "frontends/onnx/onnx_import.h"
#include "tools/gsopt/commands.h"
#include "tools/gsopt/model_io.h"
#include "verifier/random/differential.h"
#include "verifier/random/random_tensors.h"

namespace gsopt::cli {
namespace {

absl::StatusOr<std::map<std::string, std::string>> NamedFiles(const ParsedArgs& args, const std::string& option) {
  std::map<std::string, std::string> files;
  for (const std::string& spec : args.GetAll(option)) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", option, " expects NAME=FILE.pb, got '", spec, "'"));
    }
    files[spec.substr(0, eq)] = spec.substr(eq + 1);
  }
  return files;
}

std::string Summarize(const ir::Tensor& t) {
  std::string out = t.DebugString(6);
  if (ir::IsFloatingPoint(t.dtype()) && t.num_elements() > 0) {
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      double v = t.GetAsDouble(i);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    absl::StrAppend(&out, "  min ", lo, " max ", hi, " mean ", sum / static_cast<double>(t.num_elements()));
  }
  return out;
}

}  // namespace

absl::StatusOr<verifier::RandomInputOptions> RandomInputOptionsFromArgs(const ParsedArgs& args) {
  verifier::RandomInputOptions options;
  absl::StatusOr<int64_t> seed = args.GetInt("seed", 0);
  if (!seed.ok()) return seed.status();
  options.seed = static_cast<uint64_t>(*seed);
  for (const std::string& spec : args.GetAll("dim")) {
    absl::StatusOr<std::pair<std::string, std::vector<int64_t>>> parsed = ParseNameAndInts(spec);
    if (!parsed.ok() || parsed->second.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat("--dim expects SYMBOL=VALUE, got '", spec, "'"));
    }
    options.symbolic_dims[parsed->first] = parsed->second[0];
  }
  return options;
}

int RunCommand(const std::vector<std::string>& args) {
  ArgSpec spec("run", "MODEL",
               "Executes MODEL on the CPU. Inputs not given with --input are random (seeded).\n"
               "With --expect, exits 3 when an output differs from the expected tensor.");
  spec.Repeated("input", "NAME=FILE.pb", "input tensor from a serialized TensorProto")
      .Repeated("expect", "NAME=FILE.pb", "expected output tensor")
      .Option("rtol", "R", "relative tolerance for --expect (default 1e-3)")
      .Option("atol", "A", "absolute tolerance for --expect (default 1e-5)")
      .Option("seed", "S", "seed for random inputs (default 0)")
      .Repeated("dim", "SYMBOL=VALUE", "value of a symbolic dim for random inputs (default 1)")
      .Repeated("input-shape", "NAME=D1,D2,..", "fix the dims of a graph input")
      .Option("save-outputs", "DIR", "write each output as DIR/<output index>.pb (TensorProto)");
  ParsedArgs parsed;
  if (std::optional<int> exit = ParseCommandLine(spec, args, 1, 1, &parsed)) return *exit;
  const std::string& path = parsed.positional()[0];
  absl::StatusOr<LoadOptions> load_options = LoadOptionsFromArgs(parsed);
  absl::StatusOr<std::map<std::string, std::string>> input_files = NamedFiles(parsed, "input");
  absl::StatusOr<std::map<std::string, std::string>> expect_files = NamedFiles(parsed, "expect");
  absl::StatusOr<double> rtol = parsed.GetDouble("rtol", 1e-3);
  absl::StatusOr<double> atol = parsed.GetDouble("atol", 1e-5);
  absl::StatusOr<verifier::RandomInputOptions> random_options = RandomInputOptionsFromArgs(parsed);
  for (const absl::Status& s : {load_options.status(), input_files.status(), expect_files.status(), rtol.status(),
                                atol.status(), random_options.status()}) {
    if (!s.ok()) return ReportError("run", s);
  }
  absl::StatusOr<ir::Graph> graph = LoadModel(path, *load_options);
  if (!graph.ok()) return ReportError("run", graph.status());

  absl::StatusOr<std::vector<ir::Tensor>> inputs = verifier::MakeRandomInputs(*graph, *random_options);
  std::map<std::string, bool> used;
  for (size_t i = 0; i < graph->inputs().size(); ++i) {
    const std::string& name = graph->value(graph->inputs()[i]).name;
    auto it = input_files->find(name);
    if (it == input_files->end()) continue;
    absl::StatusOr<ir::Tensor> t = frontends::onnx::LoadTensorFile(it->second);
    if (!t.ok()) return ReportError("run", t.status());
    if (!inputs.ok()) inputs = std::vector<ir::Tensor>(graph->inputs().size());
    (*inputs)[i] = *std::move(t);
    used[name] = true;
  }
  for (const auto& [name, file] : *input_files) {
    if (!used[name]) return ReportError("run", absl::InvalidArgumentError(absl::StrCat(path, ": no graph input named '", name, "'")));
  }
  if (!inputs.ok()) return ReportError("run", inputs.status());
  for (const ir::Tensor& t : *inputs) {
    if (!t.is_defined()) return ReportError("run", absl::InvalidArgumentError("some inputs could not be made at random; give them with --input"));
  }

  absl::StatusOr<backend::cpu::CpuExecutor> executor = backend::cpu::CpuExecutor::Create(*graph);
  if (!executor.ok()) return ReportError("run", absl::Status(executor.status().code(), absl::StrCat(path, ": ", executor.status().message())));
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<ir::Tensor>> outputs = executor->Run(*inputs);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!outputs.ok()) return ReportError("run", absl::Status(outputs.status().code(), absl::StrCat(path, ": ", outputs.status().message())));
  std::printf("ran %s in %.1f ms\n", path.c_str(), ms);

  bool all_match = true;
  std::map<std::string, bool> expected_used;
  for (size_t k = 0; k < outputs->size(); ++k) {
    const std::string& name = graph->value(graph->outputs()[k]).name;
    std::printf("  %s: %s\n", name.c_str(), Summarize((*outputs)[k]).c_str());
    if (std::optional<std::string> dir = parsed.Get("save-outputs")) {
      std::error_code ec;
      std::filesystem::create_directories(*dir, ec);
      absl::Status s = frontends::onnx::SaveTensorFile((*outputs)[k], name, absl::StrCat(*dir, "/", k, ".pb"));
      if (!s.ok()) return ReportError("run", s);
    }
    auto it = expect_files->find(name);
    if (it == expect_files->end()) continue;
    expected_used[name] = true;
    absl::StatusOr<ir::Tensor> expected = frontends::onnx::LoadTensorFile(it->second);
    if (!expected.ok()) return ReportError("run", expected.status());
    verifier::TensorDiff diff = verifier::CompareTensors(name, (*outputs)[k], *expected, {*rtol, *atol});
    std::printf("    vs %s: %s (max abs error %.3g)%s%s\n", it->second.c_str(), diff.matches ? "match" : "MISMATCH",
                diff.max_abs_error, diff.problem.empty() ? "" : ": ", diff.problem.c_str());
    all_match &= diff.matches;
  }
  for (const auto& [name, file] : *expect_files) {
    if (!expected_used[name]) return ReportError("run", absl::InvalidArgumentError(absl::StrCat(path, ": no graph output named '", name, "'")));
  }
  return all_match ? kExitOk : kExitCheckFailed;
}

}  // namespace gsopt::cli
