// Real models through the text form: every .onnx file under the shared model
// folder (../shared/models beside the repository) is imported, printed, parsed
// back and compared with the imported graph. Skipped with a message where the
// folder is absent; files the ONNX importer itself rejects are listed, not
// failed, since that is the importer's business.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontends/onnx/onnx_import.h"
#include "frontends/text/test_util.h"
#include "frontends/text/text_format.h"
#include "gtest/gtest.h"

namespace gsopt::frontends::text {
namespace {

TEST(OnnxRoundTripTest, SharedModelsRoundTripThroughText) {
  const std::filesystem::path dir = GSOPT_SHARED_MODELS_DIR;
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no shared models at " << dir;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".onnx") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) GTEST_SKIP() << "no .onnx files under " << dir;
  int round_tripped = 0;
  std::vector<std::string> not_imported;
  // Once as declared in the file, once with inferred types on every value.
  for (const bool infer_shapes : {false, true}) {
    for (const std::filesystem::path& path : files) {
      SCOPED_TRACE(absl::StrCat(path.string(), infer_shapes ? " (shapes inferred)" : ""));
      onnx::ImportOptions options;
      options.infer_shapes = infer_shapes;
      absl::StatusOr<ir::Graph> graph = onnx::ImportModelFile(path.string(), options);
      if (!graph.ok()) {
        not_imported.push_back(std::string(graph.status().message()));
        continue;
      }
      testing::ExpectRoundTrip(*graph);
      if (::testing::Test::HasFailure()) return;  // one broken model is enough to read
      ++round_tripped;
    }
  }
  EXPECT_GT(round_tripped, 0);
  std::string rejected;
  for (const std::string& message : not_imported) rejected += "\n  " + message;
  std::cout << round_tripped << " of " << 2 * files.size() << " imports round-tripped through text"
            << (not_imported.empty() ? "" : "; the ONNX importer rejected:") << rejected << "\n";
}

}  // namespace
}  // namespace gsopt::frontends::text
