// GSOPT_CHECK(cond) << "message": aborts with the message when an internal
// invariant is broken. Debian's Abseil (20220623) predates absl/log, so this
// small stand-in exists; it is for programmer errors only — problems in user
// input are reported with absl::Status.
#ifndef GSOPT_IR_CHECK_H_
#define GSOPT_IR_CHECK_H_

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace gsopt::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition) {
    stream_ << file << ":" << line << ": check failed: " << condition << " ";
  }
  [[noreturn]] ~CheckFailure() {
    std::cerr << stream_.str() << std::endl;
    std::abort();
  }
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

}  // namespace gsopt::internal

#define GSOPT_CHECK(condition) \
  if (condition) {             \
  } else                       \
    ::gsopt::internal::CheckFailure(__FILE__, __LINE__, #condition).stream()

#define GSOPT_CHECK_OK(status_expr)                                                   \
  if (const auto& gsopt_check_status = (status_expr); gsopt_check_status.ok()) {      \
  } else                                                                              \
    ::gsopt::internal::CheckFailure(__FILE__, __LINE__, #status_expr).stream()        \
        << gsopt_check_status.ToString()

#define GSOPT_FATAL() ::gsopt::internal::CheckFailure(__FILE__, __LINE__, "unreachable").stream()

#endif  // GSOPT_IR_CHECK_H_
