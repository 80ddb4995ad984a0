// The Duffing pipeline and a sweep of it (as job arrays) on a real one-node SLURM (scripts/slurm-local.sh, Debian's slurm-wlm and
// munge): `slift submit` with cluster/local.yaml, every stage runs as a job and is recorded with
// its job id in the lock file, the outputs (data and sample arrays, metrics up to timings) equal
// those of a plain `slift run`, and a later
// `slift run` of the SLURM run directory finds nothing to do. The daemons the test started are
// stopped (by pid) whatever happens. Without the packages (and no way to install them) the test
// is reported skipped with the reason.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/dataset.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using slift::test::run;
using slift::test::slift_bin;
using slift::test::source_dir;
using slift::test::TempDir;

namespace {

bool slurm_installed() {
  return run("command -v sbatch && command -v squeue && command -v sinfo && test -x /usr/sbin/slurmctld && "
             "test -x /usr/sbin/slurmd && test -x /usr/sbin/munged")
             .exit_code == 0;
}

// A TCP port nobody listens on now (the kernel's choice), so test runs in several build trees
// at once do not collide.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("no free port");
  close(fd);
  return ntohs(addr.sin_port);
}

// A cluster of the test's own (state directory and ports), so one a user started is left alone;
// the destructor stops exactly the daemons that `start` recorded.
class LocalSlurm {
 public:
  explicit LocalSlurm(const std::string& dir) : dir_(dir) {
    const int ctld = free_port();
    int slurmd = free_port();
    while (slurmd == ctld) slurmd = free_port();
    env_ = "SLIFT_SLURM_DIR=" + dir + " SLIFT_SLURMCTLD_PORT=" + std::to_string(ctld) +
           " SLIFT_SLURMD_PORT=" + std::to_string(slurmd) + " ";
  }
  ~LocalSlurm() { run(env_ + source_dir() + "/scripts/slurm-local.sh stop"); }
  slift::test::CommandResult start() { return run(env_ + source_dir() + "/scripts/slurm-local.sh start"); }
  std::string conf() const { return dir_ + "/slurm.conf"; }
  std::string completed_jobs() const { return slift::test::read_file(dir_ + "/log/jobs.txt"); }

 private:
  std::string dir_, env_;
};

bool terminal(const std::string& state) {
  for (const char* s : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
                        "BOOT_FAIL", "DEADLINE"})
    if (state == s) return true;
  return false;
}

// Job id -> state from `squeue --states=all` (finished jobs stay listed: MinJobAge=3600).
std::map<std::string, std::string> job_states(const std::vector<std::string>& ids) {
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
  auto r = run("squeue --noheader --states=all --jobs=" + list + " --format='%i %T'");
  std::map<std::string, std::string> states;
  std::istringstream lines(r.output);
  std::string id, state;
  while (lines >> id >> state) states[id] = state;
  return states;
}

// Every job log of a run directory, for failure messages.
std::string job_logs(const std::string& run_dir) {
  std::string out;
  if (!fs::exists(run_dir + "/slurm")) return out;
  for (const auto& e : fs::directory_iterator(run_dir + "/slurm"))
    if (e.path().extension() == ".out")
      out += "---- " + e.path().string() + "\n" + slift::test::read_file(e.path().string());
  return out;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Metrics without wall-clock timings (keys naming seconds, the throughput table), which differ from
// run to run.
nlohmann::json without_timings(const nlohmann::json& j) {
  if (!j.is_object()) return j;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : j.items())
    if (key.find("seconds") == std::string::npos && key != "throughput") out[key] = without_timings(value);
  return out;
}

// The "states" arrays of the same file under two run directories are equal, byte for byte.
void expect_same_states(const std::string& dir_a, const std::string& dir_b, const std::string& file) {
  const auto a = slift::DatasetReader(dir_a + file).read("states"), b = slift::DatasetReader(dir_b + file).read("states");
  ASSERT_EQ(a.size(), b.size()) << file;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << file << " differs";
}

// One local cluster for the suite (starting one takes seconds); a test that finds none skips.
class Slurm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!slurm_installed()) {
      auto r = run(source_dir() + "/scripts/install-deps.sh");
      if (!slurm_installed()) {
        skip_ = "slurm-wlm and munge are not installed and could not be installed: " + r.output;
        return;
      }
    }
    if (getuid() != 0) {
      skip_ = "a local SLURM needs root (slurmd starts jobs as their users)";
      return;
    }
    dir_ = std::make_unique<TempDir>("slift-slurm-test");
    fs::permissions(dir_->path(), fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);  // for munged
    slurm_ = std::make_unique<LocalSlurm>(*dir_ / "slurm");
    auto r = slurm_->start();
    if (r.exit_code != 0) {
      start_error_ = "scripts/slurm-local.sh start failed:\n" + r.output;
      return;
    }
    r = slurm_->start();
    if (r.exit_code != 0 || r.output.find("already running") == std::string::npos)
      start_error_ = "start is not idempotent:\n" + r.output;
    setenv("SLURM_CONF", slurm_->conf().c_str(), 1);  // for slift's sbatch and squeue
  }
  static void TearDownTestSuite() {
    slurm_.reset();  // stops the daemons it started
    dir_.reset();
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(start_error_.empty()) << start_error_;
  }
  static std::string dir(const std::string& name) { return *dir_ / name; }
  static std::string completed_jobs() { return slurm_->completed_jobs(); }

 private:
  static inline std::unique_ptr<TempDir> dir_;
  static inline std::unique_ptr<LocalSlurm> slurm_;
  static inline std::string skip_, start_error_;
};

// Waits until every job, and every task of an array job, has ended; returns "<id>" or
// "<id>_<task>" -> state. Fails the test (and returns what it saw) after `seconds`.
std::map<std::string, std::string> wait_for(const std::vector<std::string>& ids, const std::string& run_dir,
                                            int seconds) {
  std::map<std::string, std::string> states;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    states = job_states(ids);
    bool done = true;
    for (const auto& id : ids)
      done = done && std::any_of(states.begin(), states.end(),
                                 [&](const auto& e) { return e.first == id || e.first.rfind(id + "_", 0) == 0; });
    for (const auto& [id, state] : states) done = done && terminal(state) && id.find('[') == std::string::npos;
    if (done) return states;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "jobs still not finished\n" << run("squeue --states=all").output << job_logs(run_dir);
      return states;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace

TEST_F(Slurm, DuffingPipelineRunsAsJobsAndMatchesSliftRun) {
#ifdef SLIFT_TEST_WITH_TORCH
  const std::vector<std::string> stages{"simulate", "train:sl", "train:deterministic", "sample:sl",
                                        "sample:deterministic", "evaluate", "report"};
  const std::string targets;
#else
  const std::vector<std::string> stages{"simulate"};  // the rest needs LibTorch
  const std::string targets = " simulate";
#endif
  // Small enough to finish in about a minute on 2 cores.
  const std::string settings =
      " --set simulate.n_train=64 --set simulate.n_test=128 --set simulate.n_time=32 --set train.iterations=200"
      " --set train.width=64 --set train.batch_size=256 --set evaluate.conditional_samples=200"
      " --set evaluate.sliced_projections=16";
  const std::string config = source_dir() + "/configs/duffing.yaml";
  const std::string on_slurm = dir("on-slurm"), local = dir("local");

  auto r = run(slift_bin() + " submit " + config + " --profile " + source_dir() + "/cluster/local.yaml --set output_dir=" +
          on_slurm + settings + targets);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::cout << r.output;
  ASSERT_TRUE(fs::exists(on_slurm + "/slurm/jobs.json")) << r.output;
  std::map<std::string, std::string> job_of;  // stage -> job id
  std::vector<std::string> ids;
  const nlohmann::json submitted = read_json(on_slurm + "/slurm/jobs.json");
  for (const auto& j : submitted["jobs"]) {
    job_of[j["stage"].get<std::string>()] = j["job_id"].get<std::string>();
    ids.push_back(j["job_id"].get<std::string>());
  }
  ASSERT_EQ(ids.size(), stages.size()) << r.output;

  std::map<std::string, std::string> states = wait_for(ids, on_slurm, 200);
  std::cout << run("squeue --states=all --format='%.6i %.28j %.10T %.10M %R'").output << completed_jobs();
  for (const auto& stage : stages)
    ASSERT_EQ(states[job_of.at(stage)], "COMPLETED") << stage << " (job " << job_of.at(stage) << ")\n"
                                                    << job_logs(on_slurm);

  // Every stage ran under SLURM, in the job submitted for it.
  const nlohmann::json lock = read_json(on_slurm + "/slift.lock.json");
  for (const auto& stage : stages) {
    ASSERT_TRUE(lock["stages"].contains(stage)) << stage << "\n" << lock.dump(2);
    EXPECT_EQ(lock["stages"][stage].value("slurm_job_id", std::string("none")), job_of.at(stage)) << stage;
  }

  // The same config with `slift run`, off SLURM: the same data, byte for byte.
  r = run(slift_bin() + " run " + config + " --set output_dir=" + local + settings + targets);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const std::string split : {"train", "test", "floor"}) expect_same_states(on_slurm, local, "/data/" + split + ".h5");
#ifdef SLIFT_TEST_WITH_TORCH
  for (const std::string set : {"sl", "deterministic"}) expect_same_states(on_slurm, local, "/samples/" + set + ".h5");
  EXPECT_EQ(without_timings(read_json(on_slurm + "/metrics.json")), without_timings(read_json(local + "/metrics.json")));
  EXPECT_TRUE(fs::exists(on_slurm + "/report/index.html"));
#endif

  // The lock the jobs wrote is complete: a second run of the SLURM directory does no work.
  r = run(slift_bin() + " run " + config + " --set output_dir=" + on_slurm + settings + targets);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("==>"), std::string::npos) << r.output;
  for (const auto& stage : stages) EXPECT_NE(r.output.find(stage + ": up to date"), std::string::npos) << r.output;
}

// A two-run sweep: the shared simulate as one job, every per-run stage as a throttled job array
// (one task per run), the summary last; the lock records each stage's array task, and the
// results equal those of `slift run` on the same sweep.
TEST_F(Slurm, SweepRunsAsJobArraysAndMatchesSliftRun) {
#ifndef SLIFT_TEST_WITH_TORCH
  GTEST_SKIP() << "a sweep's per-run stages train models: this build has no LibTorch";
#endif
  const std::string sweep = dir("sweep.yaml");
  slift::test::write_file(sweep, "name: slurm-sweep\nbase: " + source_dir() +
                                     "/configs/duffing.yaml\n"
                                     "set:\n"
                                     "  simulate.n_train: 48\n  simulate.n_test: 96\n  simulate.n_time: 24\n"
                                     "  train.models: [sl]\n  train.iterations: 150\n  train.width: 48\n"
                                     "  train.batch_size: 256\n  evaluate.conditional_samples: 100\n"
                                     "  evaluate.sliced_projections: 16\n"
                                     "grid:\n  train.label_dim: [0, 8]\n"
                                     "summary:\n  model: sl\n  metrics: [final_train_loss, w2_mean]\n");
  const std::string on_slurm = dir("sweep-on-slurm"), local = dir("sweep-local");
  auto r = run(slift_bin() + " submit " + sweep + " --profile " + source_dir() + "/cluster/local.yaml --set output_dir=" +
               on_slurm);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::cout << r.output;
  const nlohmann::json submitted = read_json(on_slurm + "/slurm/jobs.json");
  std::map<std::string, nlohmann::json> job;  // job name -> its jobs.json entry
  std::vector<std::string> ids;
  for (const auto& j : submitted["jobs"]) {
    job[j["job"].get<std::string>()] = j;
    ids.push_back(j["job_id"].get<std::string>());
  }
  const std::vector<std::string> arrays{"train:sl", "sample:sl", "evaluate", "report"};
  ASSERT_EQ(ids.size(), arrays.size() + 2) << "one simulate, four arrays, the summary\n" << r.output;
  for (const auto& a : arrays) {
    ASSERT_TRUE(job.count(a)) << a << "\n" << r.output;
    EXPECT_EQ(job[a]["tasks"], (nlohmann::json{{"0", "label_dim=0/" + a}, {"1", "label_dim=8/" + a}})) << a;
    EXPECT_NE(slift::test::read_file(job[a]["script"]).find("#SBATCH --array=0-1%2\n"), std::string::npos) << a;
  }

  std::map<std::string, std::string> states = wait_for(ids, on_slurm, 300);
  std::cout << run("squeue --states=all --format='%.8i %.28j %.10T %.10M %R'").output;
  for (const auto& [id, state] : states) EXPECT_EQ(state, "COMPLETED") << id << "\n" << job_logs(on_slurm);

  // Each per-run stage ran in its own array task; the summary in its job.
  const nlohmann::json lock = read_json(on_slurm + "/slift.lock.json");
  for (const auto& a : arrays)
    for (const auto& [task, run_id] : std::vector<std::pair<std::string, std::string>>{{"0", "label_dim=0"}, {"1", "label_dim=8"}}) {
      const std::string stage = run_id + "/" + a;
      ASSERT_TRUE(lock["stages"].contains(stage)) << stage << "\n" << lock.dump(2);
      EXPECT_EQ(lock["stages"][stage].value("slurm_array_task", std::string("none")),
                job[a]["job_id"].get<std::string>() + "_" + task)
          << stage;
    }
  EXPECT_EQ(lock["stages"]["summary"].value("slurm_job_id", std::string("none")), job["summary"]["job_id"]);

  // The same sweep with `slift run`, off SLURM: the same samples and summary.
  r = run(slift_bin() + " run " + sweep + " --set output_dir=" + local);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const std::string run_id : {"label_dim=0", "label_dim=8"})
    expect_same_states(on_slurm, local, "/" + run_id + "/samples/sl.h5");
  EXPECT_EQ(without_timings(read_json(on_slurm + "/summary.json")), without_timings(read_json(local + "/summary.json")));

  // Nothing left to do in the SLURM directory.
  r = run(slift_bin() + " run " + sweep + " --set output_dir=" + on_slurm);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("==>"), std::string::npos) << r.output;
}
