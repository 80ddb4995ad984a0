// Helpers for tests that run the real `slift` binary and look at what it wrote.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace slift::test {

// mpiexec as root, with any number of ranks on any number of cores.
inline const std::string kMpiexec = "mpiexec --allow-run-as-root --oversubscribe";

// Runs f and returns the message of the error it throws ("" if nothing was thrown); an error of
// another code than `code` fails the test.
template <class F>
std::string error_message(ExitCode code, F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  return "";
}
template <class F>
std::string usage_message(F&& f) {
  return error_message(ExitCode::usage, std::forward<F>(f));
}

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// Path of the built `slift` (from the SLIFT_BIN environment variable set by ctest).
std::string slift_bin();
// The source tree (SLIFT_SOURCE_DIR), e.g. for configs/.
std::string source_dir();
// `slift COMMAND configs/duffing.yaml` on a tiny Duffing run in `run_dir` (20 + 20 trajectories of
// 16 states, one small label-free model), followed by `extra` (the training's length, flags).
std::string tiny_duffing(const std::string& run_dir, const std::string& command, const std::string& extra);
// Runs a shell command, capturing output and the exit code.
CommandResult run(const std::string& command);
// A command refused as a usage error: exit code 2 and one line (trailing newlines aside) that
// contains each of `parts` (the key, the file, the reason).
void expect_usage_error(const CommandResult& r, const std::vector<std::string>& parts);
// Runs a shell command and kills it (SIGKILL, no clean-up) as soon as its output contains
// `marker`; true if that happened, false if the command ended first.
bool kill_when_printed(const std::string& command, const std::string& marker);
// A fresh empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "slift-test");
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  // Every regular file below the directory (relative paths), sorted.
  std::vector<std::string> files() const;

 private:
  std::string path_;
};
// Writes text to a file.
void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

}  // namespace slift::test
