// The ONNX backend node-test runner behind `gsopt test-onnx`: for every test
// directory (model.onnx + test_data_set_N/{input,output}_K.pb) it imports the
// model, runs it on the CPU executor, compares every output with the
// expected tensor, and checks that shape inference agrees with what the
// kernels produced. Results are grouped per operator.
#ifndef GSOPT_TOOLS_GSOPT_CONFORMANCE_H_
#define GSOPT_TOOLS_GSOPT_CONFORMANCE_H_

#include <string>
#include <vector>

#include "verifier/random/differential.h"

namespace gsopt::cli {

enum class TestOutcome { kPassed, kFailed, kUnsupported, kImportError };

struct ConformanceResult {
  std::string test;  // directory name, e.g. "test_add_bcast"
  std::string op;    // the operator the test is about
  TestOutcome outcome = TestOutcome::kFailed;
  std::string detail;  // why it did not pass
};

struct ConformanceOptions {
  std::string filter;   // ECMAScript regex a test name must contain a match of
  std::string exclude;  // regex of tests to skip
  verifier::Tolerance tolerance{1e-3, 1e-5};
};

std::vector<ConformanceResult> RunConformance(const std::string& root, const ConformanceOptions& options);

// Runs one test directory.
ConformanceResult RunConformanceTest(const std::string& dir, const verifier::Tolerance& tolerance);

}  // namespace gsopt::cli

#endif  // GSOPT_TOOLS_GSOPT_CONFORMANCE_H_
