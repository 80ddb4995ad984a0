// The make-style driver through the real `slift` binary: what reruns, what does not, and why.
// Uses the simulate stage only, so it runs in builds without LibTorch too.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/dataset.hpp"
#include "pipeline/orchestration/lockfile.hpp"
#include "support/test_support.hpp"

using namespace slift;
using slift::test::run;

namespace {

const char* kConfig = R"(# a small Duffing experiment
name: driver-test
seed: 3
simulate:
  system: duffing
  n_train: 20
  n_test: 30
  sigma: 0.5   # noise
  n_time: 16
)";

// The same values, keys reordered and comments changed: must not trigger a rerun.
const char* kConfigReordered = R"(seed: 3
simulate:
  n_time: 16
  sigma: 0.50          # the same noise, written differently
  n_test: 30
  system: duffing
  n_train: 20
name: driver-test
)";

struct DriverTest : ::testing::Test {
  test::TempDir dir{"slift-driver"};
  std::string config = dir / "exp.yaml";
  void SetUp() override { test::write_file(config, kConfig); }
  std::string slift(const std::string& args) {
    return test::slift_bin() + " " + args + " --set output_dir=" + dir.path() + "/run";
  }
  nlohmann::json lock() { return nlohmann::json::parse(test::read_file(dir / "run/slift.lock.json")); }
};

}  // namespace

TEST_F(DriverTest, SecondRunDoesNothingAndIsFast) {
  auto first = run(slift("run " + config + " simulate"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("==> simulate (never ran)"), std::string::npos) << first.output;
  auto lock_before = test::read_file(dir / "run/slift.lock.json");
  auto t0 = std::chrono::steady_clock::now();
  auto second = run(slift("run " + config + " simulate"));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("simulate: up to date"), std::string::npos) << second.output;
  EXPECT_EQ(second.output.find("==>"), std::string::npos) << second.output;
  EXPECT_EQ(test::read_file(dir / "run/slift.lock.json"), lock_before);
  EXPECT_LT(seconds, 1.0);
}

// The solver's cost per trajectory goes beside the data (not into the HDF5 files, which are
// byte-identical for any rank count): evaluate's throughput table compares models against it.
TEST_F(DriverTest, SimulateRecordsTheSolversCostBesideTheData) {
  auto r = run(slift("run " + config + " simulate --threads 1"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto timing = nlohmann::json::parse(test::read_file(dir / "run/data/simulate.json"));
  EXPECT_EQ(timing["ranks"], 1);
  EXPECT_EQ(timing["threads"], 1);
  EXPECT_EQ(timing["splits"]["train"]["computed"], 20);
  EXPECT_EQ(timing["splits"]["test"]["computed"], 30);
  EXPECT_GT(timing["seconds_per_trajectory"].get<double>(), 0.0);
  EXPECT_TRUE(lock()["stages"]["simulate"]["outputs"].contains("data/simulate.json"));
}

TEST_F(DriverTest, CommentsAndKeyOrderDoNotTriggerReruns) {
  ASSERT_EQ(run(slift("run " + config + " simulate")).exit_code, 0);
  test::write_file(config, kConfigReordered);
  auto r = run(slift("run " + config + " simulate --dry-run"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("simulate: up to date"), std::string::npos) << r.output;
}

TEST_F(DriverTest, ChangedParameterValueRerunsWithReason) {
  ASSERT_EQ(run(slift("run " + config + " simulate")).exit_code, 0);
  auto r = run(slift("run " + config + " simulate --dry-run --set simulate.sigma=0.7"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("simulate: would run (parameters changed)"), std::string::npos) << r.output;
  // A train-only change leaves simulate alone and reruns train and what follows.
  auto t = run(slift("run " + config + " --dry-run --set train.lr=0.01"));
  EXPECT_NE(t.output.find("simulate: up to date"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("train:sl: would run"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("evaluate: would run"), std::string::npos) << t.output;
}

TEST_F(DriverTest, MissingOrModifiedOutputRerunsWithReason) {
  ASSERT_EQ(run(slift("run " + config + " simulate")).exit_code, 0);
  std::filesystem::remove(dir / "run/data/test.h5");
  auto r = run(slift("run " + config + " simulate --dry-run"));
  EXPECT_NE(r.output.find("output data/test.h5 is missing"), std::string::npos) << r.output;
  ASSERT_EQ(run(slift("run " + config + " simulate")).exit_code, 0);
  test::write_file(dir / "run/data/floor.h5", "not what the stage wrote");
  r = run(slift("run " + config + " simulate --dry-run"));
  EXPECT_NE(r.output.find("output data/floor.h5 was modified"), std::string::npos) << r.output;
}

TEST_F(DriverTest, ForceRerunsAnUpToDateStage) {
  ASSERT_EQ(run(slift("run " + config + " simulate")).exit_code, 0);
  auto r = run(slift("run " + config + " simulate --force"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("==> simulate (forced)"), std::string::npos) << r.output;
}

TEST_F(DriverTest, UnknownStageIsAUsageError) {
  auto r = run(slift("run " + config + " simulat"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown stage 'simulat'"), std::string::npos) << r.output;
}

TEST_F(DriverTest, AStageAnotherDriverIsRunningIsRefused) {
  pipeline::StageLock held((dir / "run"), "simulate");  // as if another `slift run` were running it
  auto r = run(slift("run " + config + " simulate"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("stage simulate in " + (dir / "run") + " is being run by another slift (pid " +
                          std::to_string(getpid())),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "run/data/train.h5"));
}

// Processes that record different stages of one run directory at the same time (array tasks)
// keep each other's records: every commit is a locked read-modify-write.
TEST_F(DriverTest, ConcurrentRecordsInOneLockFileAreAllKept) {
  const std::string run_dir = (dir / "run");
  constexpr int kProcesses = 4, kCommits = 40;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      pipeline::LockFile lock(run_dir);
      for (int i = 0; i < kCommits; ++i)
        lock.commit("p" + std::to_string(p) + "/stage" + std::to_string(i), {{"version", i}});
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const auto stages = lock()["stages"];
  EXPECT_EQ(stages.size(), static_cast<size_t>(kProcesses * kCommits)) << stages.dump();
  for (int p = 0; p < kProcesses; ++p)
    for (int i = 0; i < kCommits; ++i) EXPECT_TRUE(stages.contains("p" + std::to_string(p) + "/stage" + std::to_string(i)));
}

// A stage killed mid-run leaves no record in the lock, so the rerun redoes it.
TEST_F(DriverTest, InterruptedStageIsRedone) {
  auto killed = run("timeout -s KILL 0.5 " + slift("run " + config + " simulate --set simulate.n_test=200000"));
  ASSERT_NE(killed.exit_code, 0) << "the run finished before it could be killed";
  EXPECT_FALSE(std::filesystem::exists(dir / "run/data/test.h5"));
  if (std::filesystem::exists(dir / "run/slift.lock.json")) {
    EXPECT_FALSE(lock()["stages"].contains("simulate"));
  }
  auto r = run(slift("run " + config + " simulate --dry-run --set simulate.n_test=200000"));
  EXPECT_NE(r.output.find("simulate: would run"), std::string::npos) << r.output;
}

TEST_F(DriverTest, DagListsStagesInOrder) {
  auto r = run(slift("run " + config + " --dag dot"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"simulate\" -> \"train:sl\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"evaluate\" -> \"report\""), std::string::npos) << r.output;
}

// --jobs 2: the two runs' simulate stages of a sweep start together (both launched before either
// is waited for), each writes its output to its own log, and the states are byte-identical to a
// run with --jobs 1 (the files differ only in their provenance: paths and times).
TEST_F(DriverTest, JobsRunIndependentStagesSideBySideWithTheSameBytes) {
  test::write_file(dir / "sweep.yaml", "name: jobs\nbase: exp.yaml\ngrid:\n  seed: [1, 2]\n");
  const auto sweep = [&](const std::string& out, const std::string& flags) {
    return run(test::slift_bin() + " run " + (dir / "sweep.yaml") + " simulate " + flags + " --set output_dir=" + out);
  };
  auto parallel = sweep(dir / "parallel", "-j 2");
  ASSERT_EQ(parallel.exit_code, 0) << parallel.output;
  const auto first_done = parallel.output.find("<== ");
  ASSERT_NE(first_done, std::string::npos) << parallel.output;
  const auto started = parallel.output.substr(0, first_done);
  EXPECT_NE(started.find("==> simulate@"), started.rfind("==> simulate@")) << "both launched first: " << parallel.output;
  auto serial = sweep(dir / "serial", "-j 1");
  ASSERT_EQ(serial.exit_code, 0) << serial.output;
  int logs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "parallel/logs")) {
    EXPECT_NE(test::read_file(entry.path()).find("wrote"), std::string::npos) << entry.path();
    ++logs;
  }
  EXPECT_EQ(logs, 2);
  int compared = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "serial"))
    if (entry.path().extension() == ".h5") {
      const auto twin = std::filesystem::path(dir / "parallel") / std::filesystem::relative(entry.path(), dir / "serial");
      const auto a = DatasetReader(entry.path(), "states").read("states"), b = DatasetReader(twin, "states").read("states");
      ASSERT_EQ(a.size(), b.size()) << twin.string();
      EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << twin.string() << " differs";
      ++compared;
    }
  EXPECT_GE(compared, 4);  // train and test of each run
  auto again = sweep(dir / "parallel", "-j 2");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output.find("==>"), std::string::npos) << again.output;
}
