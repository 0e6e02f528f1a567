// A one-line progress bar on stderr, redrawn in place, for the commands that
// run long (optimize's search, rules generate/verify). Drawn only when the
// command asks (a terminal, or --progress), so logs and tests see just the
// report. Draw may be called from several threads.
#ifndef GSOPT_TOOLS_GSOPT_PROGRESS_LINE_H_
#define GSOPT_TOOLS_GSOPT_PROGRESS_LINE_H_

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>

#include "absl/strings/string_view.h"

namespace gsopt::cli {

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ~ProgressLine() { Finish(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // "  label [#######       ] 42%  detail"
  void Draw(absl::string_view label, double fraction, absl::string_view detail) {
    if (!enabled_) return;
    constexpr int kWidth = 30;
    fraction = std::clamp(fraction, 0.0, 1.0);
    int filled = static_cast<int>(fraction * kWidth + 0.5);
    std::lock_guard<std::mutex> lock(mu_);
    std::fprintf(stderr, "\r  %-10s [%-*s] %3d%%  %s  ", std::string(label).c_str(), kWidth,
                 std::string(static_cast<size_t>(filled), '#').c_str(), static_cast<int>(fraction * 100),
                 std::string(detail).c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  // Ends the line, so the report starts on a fresh one.
  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    if (enabled_ && drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  std::mutex mu_;
};

}  // namespace gsopt::cli

#endif  // GSOPT_TOOLS_GSOPT_PROGRESS_LINE_H_
