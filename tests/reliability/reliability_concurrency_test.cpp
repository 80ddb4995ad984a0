// Reliability of `slift run` beside other processes (issue 24): two runs sharing one output_dir,
// and the launcher and ranks of a multi-rank training when their driver is killed. Runs the real
// `slift` with the LibTorch plugin and Open MPI's launcher.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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
  bool running() { return !ended(); }
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

// A process by pid and start time (a pid may be reused once it ended).
struct Process {
  pid_t pid;
  std::string start_time;
  std::string command;
};

// Fields of /proc/<pid>/stat after the command name: state, ppid, ..., start time (field 22).
std::vector<std::string> stat_fields(pid_t pid) {
  const std::string stat = slift::test::read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream in(stat.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  return fields.size() > 19 ? fields : std::vector<std::string>{};
}

std::string command_of(pid_t pid) {
  std::string c = slift::test::read_file("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(c.begin(), c.end(), '\0', ' ');
  return c;
}

// Every process below `root` now.
std::vector<Process> descendants(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto f = stat_fields(std::stoi(name));
    if (!f.empty()) children[std::stoi(f[1])].push_back(std::stoi(name));
  }
  std::vector<Process> out;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : children[p]) {
      const auto f = stat_fields(c);
      if (!f.empty()) out.push_back({c, f[19], command_of(c)}), todo.push_back(c);
    }
  }
  return out;
}

bool alive(const Process& p) {
  const auto f = stat_fields(p.pid);
  return !f.empty() && f[19] == p.start_time && f[0] != "Z";
}

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

// Item 8: SIGKILL or SIGTERM to `slift run` with train.ranks 2 left mpirun and its ranks training,
// holding nothing; a rerun trained beside them on the same checkpoint and died. Now the launcher
// and its ranks die with their driver, and a rerun completes.
class TrainingRanks : public ::testing::TestWithParam<int> {};

std::string ranks_run(const TempDir& dir) {
  return "env SLIFT_MPIRUN='" + slift::test::kMpiexec + "' " + duffing_run(dir / "run") +
         " --set train.ranks=2 --set 'train.models=[sl]' --set train.batch_size=64";
}

TEST_P(TrainingRanks, DieWithTheirDriverAndARerunCompletes) {
  TempDir dir;
  Background driver(ranks_run(dir) + " --set train.iterations=1000000", dir / "driver.log");
  std::vector<Process> started;
  auto ranks = [&] {
    return std::count_if(started.begin(), started.end(),
                         [](const Process& p) { return p.command.rfind(slift_bin() + " train-ranks ", 0) == 0; });
  };
  for (int i = 0; i < 1200 && ranks() < 2 && driver.running(); ++i) {  // up to 2 min on a loaded machine
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    started = descendants(driver.pid());
  }
  ASSERT_EQ(ranks(), 2) << driver.output();
  ASSERT_TRUE(driver.wait_for("step", 120)) << driver.output();  // both ranks train

  ::kill(driver.pid(), GetParam());
  EXPECT_EQ(driver.finish(), 128 + GetParam());
  std::vector<Process> left = started;
  for (int i = 0; i < 300 && !left.empty(); ++i) {  // up to 30 s on a loaded machine
    left.erase(std::remove_if(left.begin(), left.end(), [](const Process& p) { return !alive(p); }), left.end());
    if (!left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const Process& p : left) {
    ADD_FAILURE() << "pid " << p.pid << " outlived its driver: " << p.command;
    ::kill(p.pid, SIGKILL);
  }

  const CommandResult rerun = run(ranks_run(dir) + " --set train.iterations=50 -q");
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
}

INSTANTIATE_TEST_SUITE_P(Signals, TrainingRanks, ::testing::Values(SIGTERM, SIGKILL),
                         [](const auto& info) { return info.param == SIGTERM ? "SIGTERM" : "SIGKILL"; });

// Item 8: a training whose ranks of an earlier start are still alive (they read-lock the config
// they were given) is refused in one line naming them, not started a second time beside them.
TEST(TrainingRanks, AStageWhoseRanksStillLiveIsRefused) {
  TempDir dir;
  ASSERT_EQ(run(ranks_run(dir) + " simulate -q").exit_code, 0);
  std::filesystem::create_directories(dir / "run/models");
  const int rank = ::open((dir / "run/models/sl.ranks.yaml").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_EQ(::flock(rank, LOCK_SH), 0);
  const CommandResult r = run(ranks_run(dir) + " --set train.iterations=50 -q");
  ::close(rank);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find("train sl: ranks of an earlier start of this training are still running (reading: pid " +
                          std::to_string(::getpid())),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "run/models/sl.pt"));
}
