// Reliability of `slift run` beside other processes (issue 24): two runs sharing one output_dir.
// Runs the real `slift` with the LibTorch plugin.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/test_support.hpp"

using slift::test::CommandResult;
using slift::test::run;
using slift::test::slift_bin;
using slift::test::TempDir;

namespace {

// A command started in the background (`sh -c "exec COMMAND"`: its pid is the command's), its
// output (stdout and stderr) going to a file.
class Background {
 public:
  Background(const std::string& command, std::string log) : log_(std::move(log)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, STDOUT_FILENO), ::dup2(fd, STDERR_FILENO);
      ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Background() {
    if (code_ < 0) ::kill(pid_, SIGKILL), finish();
  }
  pid_t pid() const { return pid_; }
  std::string output() const { return slift::test::read_file(log_); }
  // Whether the output shows `marker` within `seconds` (false as soon as the command ended).
  bool wait_for(const std::string& marker, double seconds) {
    for (auto end = clock::now() + std::chrono::duration<double>(seconds); clock::now() < end;) {
      if (output().find(marker) != std::string::npos) return true;
      if (ended()) return output().find(marker) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // Waits for the command: its exit code, or 128 + the signal that ended it.
  int finish() {
    int status = 0;
    if (code_ < 0 && ::waitpid(pid_, &status, 0) == pid_) code_ = slift_exit_code(status);
    return code_;
  }

 private:
  using clock = std::chrono::steady_clock;
  static int slift_exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }
  bool ended() {
    int status = 0;
    if (code_ < 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) code_ = slift_exit_code(status);
    return code_ >= 0;
  }
  std::string log_;
  pid_t pid_ = -1;
  int code_ = -1;
};

// The Duffing config, small; the run directory `out`.
std::string duffing_run(const std::string& out) {
  return slift_bin() + " run " + slift::test::source_dir() + "/configs/duffing.yaml --set output_dir=" + out +
         " --set simulate.n_train=20 --set simulate.n_test=20 --set simulate.n_time=16 --set train.width=32 --threads 1";
}

// What a run's metrics.json says about its data and models (its timings left out).
nlohmann::json results_of(const std::string& run_dir) {
  const auto m = nlohmann::json::parse(slift::test::read_file(run_dir + "/metrics.json"));
  nlohmann::json r;
  for (const char* key : {"data_floor", "sampling_floor"}) r[key] = m[key];
  for (const char* model : {"sl", "deterministic"})
    for (const char* key : {"w2_mean", "sliced_w2_mean", "final_train_loss"}) r[model][key] = m[model][key];
  r["conditional"] = m["conditional"];
  return r;
}

}  // namespace

// Item 1: a second `slift run` on the same output_dir (the same config with seed=2) replaced
// data/*.h5 while the first trained; the first then trained, sampled and evaluated on the second's
// data and ended with exit 0. Now the first holds its inputs read-locked: the second is refused at
// once, naming the first, and the first's results are those of a clean run of its config.
TEST(SharedRunDirectory, ASecondRunNeverMixesItsDataIntoTheFirst) {
  TempDir dir;
  const std::string first_cmd = duffing_run(dir / "shared") + " --set train.iterations=1000";
  Background first(first_cmd, dir / "first.log");
  ASSERT_TRUE(first.wait_for("==> train:sl", 120)) << first.output();
  const CommandResult second = run(duffing_run(dir / "shared") + " --set train.iterations=1000 --set seed=2 -q");
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_EQ(std::count(second.output.begin(), second.output.end(), '\n'), 1) << second.output;
  EXPECT_NE(second.output.find("by another slift (reading: pid " + std::to_string(first.pid()) + ": slift run "),
            std::string::npos)
      << second.output;
  ASSERT_EQ(first.finish(), 0) << first.output();

  const CommandResult clean = run(first_cmd + " --set output_dir=" + (dir / "clean") + " -q");
  ASSERT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_EQ(results_of(dir / "shared"), results_of(dir / "clean"));
}
