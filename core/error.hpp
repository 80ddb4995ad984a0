// One error type for the whole program; the `slift` boundary turns it into an exit code.
#pragma once
#include <sys/wait.h>

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

// A child's exit code from its wait status, as a shell reports it: its own, or 128 + the signal
// that ended it.
inline int exit_code_of(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + (WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0);
}

}  // namespace slift

// Always-on assertion (also in Release): a broken invariant is a run-time failure with a message.
#define SLIFT_ASSERT(cond, msg)                                                                    \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ::slift::runtime_error(std::string("internal check failed: ") + #cond + " (" + __FILE__ + \
                             ":" + std::to_string(__LINE__) + "): " + (msg));                      \
  } while (0)
