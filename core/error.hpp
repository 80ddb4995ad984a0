// One error type for the whole program; the `slift` boundary turns it into an exit code.
#pragma once
#include <stdexcept>
#include <string>

namespace slift {

enum class ExitCode : int { ok = 0, runtime = 1, usage = 2 };

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// A bad config value, flag or input file: exit code 2, nothing written.
[[noreturn]] inline void usage_error(const std::string& message) { throw Error(ExitCode::usage, message); }
// Something failed while running: exit code 1.
[[noreturn]] inline void runtime_error(const std::string& message) { throw Error(ExitCode::runtime, message); }

}  // namespace slift

// Always-on assertion (also in Release): a broken invariant is a run-time failure with a message.
#define SLIFT_ASSERT(cond, msg)                                                                    \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ::slift::runtime_error(std::string("internal check failed: ") + #cond + " (" + __FILE__ + \
                             ":" + std::to_string(__LINE__) + "): " + (msg));                      \
  } while (0)
