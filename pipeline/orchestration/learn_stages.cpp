#include "pipeline/orchestration/learn_stages.hpp"

#include <omp.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/rng.hpp"
#include "pipeline/analysis/records.hpp"
#include "pipeline/orchestration/cluster/sbatch.hpp"
#include "pipeline/orchestration/lockfile.hpp"
#include "pipeline/learner_plugin.hpp"

namespace slift::pipeline {

namespace {

// Starts the launcher `argv` (its first word looked up on PATH, no shell between) and waits for it:
// its exit code, or 128 + the signal that ended it. The launcher dies with this process, however
// that ends (SIGKILL included: PR_SET_PDEATHSIG): it gets SIGTERM, which mpirun passes on to its
// ranks. It runs in a process group of its own, so a terminal's Ctrl-C reaches it only that way,
// through this process.
int run_and_wait(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& word : argv) args.push_back(const_cast<char*>(word.c_str()));
  args.push_back(nullptr);
  int failure[2];  // the child's errno when exec fails; closed by a successful exec
  if (::pipe2(failure, O_CLOEXEC) != 0) runtime_error("cannot start " + argv[0] + ": no pipe");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) runtime_error("cannot start " + argv[0] + ": fork failed");
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::setpgid(0, 0);
    int err = ::prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && ::getppid() == parent ? 0 : ESRCH;
    if (err == 0) ::execvp(args[0], args.data()), err = errno;
    [[maybe_unused]] const ssize_t told = ::write(failure[1], &err, sizeof err);
    _exit(127);
  }
  ::setpgid(pid, pid);  // as the child does: whichever runs first
  ::close(failure[1]);
  int err = 0;
  ssize_t n;
  while ((n = ::read(failure[0], &err, sizeof err)) < 0 && errno == EINTR) {
  }
  ::close(failure[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n == sizeof err)
    runtime_error("cannot start " + argv[0] + ": " + std::strerror(err) + " (SLIFT_MPIRUN names the launcher)");
  return exit_code_of(status);
}

// Ranks of an earlier start of this training whose driver was killed may still be alive: every
// rank read-locks its config file while it trains (train_ranks_worker). A second start beside
// them would write the same checkpoint.
void refuse_living_ranks(const std::string& config, const std::string& model) {
  const int fd = ::open(config.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;  // none left one
  const bool alive = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  const std::string holders = alive ? lock_holders(fd) : "";
  ::close(fd);
  if (alive)
    usage_error("train " + model + ": ranks of an earlier start of this training are still running (" +
                (holders.empty() ? config + " is locked" : holders) +
                "); a second start would train beside them on the same checkpoint: wait for them to end, or end them");
}

// train.ranks > 1 in a slift no launcher started: the training runs on that many ranks as
// `$SLIFT_MPIRUN -np N slift train-ranks ...` (default launcher `mpirun`; e.g. "mpirun
// --allow-run-as-root" as root), which trains and writes <model>.ranks.json; this process goes
// on with that record. The resolved config travels as a file next to the model.
TrainRecord train_on_ranks(const Experiment& e, const std::string& model) {
  const std::string prefix = e.output_dir + "/models/" + model;
  const std::string config = prefix + ".ranks.yaml", result = prefix + ".ranks.json";
  refuse_living_ranks(config, model);
  write_file_atomic(config, e.config.resolved_yaml());
  const char* launcher = std::getenv("SLIFT_MPIRUN");
  std::vector<std::string> argv;
  std::istringstream words(launcher && *launcher ? launcher : "mpirun");
  for (std::string word; words >> word;) argv.push_back(word);
  argv.insert(argv.end(), {"-np", std::to_string(e.train.ranks), std::filesystem::read_symlink("/proc/self/exe").string(),
                           "train-ranks", config, model, data_path(e, "train"),
                           std::to_string(split_seed(e.seed, "model." + model)), prefix, "--threads",
                           std::to_string(omp_get_max_threads())});
  if (log::level() == log::Level::quiet) argv.push_back("--quiet");
  std::string command;
  for (const std::string& word : argv) command += (command.empty() ? "" : " ") + cluster::shell_quote(word);
  log::info("train " + model + ": on " + std::to_string(e.train.ranks) + " ranks: " + command);
  std::fflush(nullptr);
  int code = 0;
  try {
    code = run_and_wait(argv);
  } catch (...) {  // a launcher that did not start leaves no config behind either
    std::filesystem::remove(config);
    throw;
  }
  std::filesystem::remove(config);
  const std::string what = "train " + model + " on " + std::to_string(e.train.ranks) + " ranks";
  if (code == static_cast<int>(ExitCode::usage)) usage_error(what + " was refused (above)");
  if (code != 0) runtime_error(what + " failed (exit " + std::to_string(code) + "); a rerun resumes from its checkpoint");
  TrainRecord record = TrainRecord::read(result);
  std::filesystem::remove(result);
  return record;
}

}  // namespace

void train_ranks_worker(const std::string& config_file, const std::string& model, const std::string& train_data,
                        uint64_t seed, const std::string& prefix) {
  // A rank dies with its launcher (which dies with its `slift run`), and read-locks its config
  // until it ends, so the stage is never started twice beside it (refuse_living_ranks).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  const int config_fd = ::open(config_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (config_fd < 0 || ::flock(config_fd, LOCK_SH) != 0) runtime_error("cannot open " + config_file);
  mpi::ensure_initialized();
  config::Config config = config::Config::load(config_file);
  config::Section train = config.root().section("train");
  learner::TrainOptions options = learner::parse_train(train);
  options.state_field = config.root().section("data").get<std::string>("state_field", "");  // as load_experiment reads it
  options.condition_on = config.root().section("data").get<std::vector<std::string>>("condition_on", {});
  std::ifstream in(config_file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const learner::TrainResult r = learner_api().train(model, options, train_data, seed, prefix + ".pt", prefix + ".ckpt", text);
  if (mpi::rank() == 0) TrainRecord{r}.write(prefix + ".ranks.json");
}

void check_ranks(const Experiment& e) {
  const int ranks = mpi::size();
  if (ranks == 1) return;
  const std::string where = "config error: " + e.config.file() + ": ";
  if (e.train.ranks > 1 && e.train.ranks != ranks)
    usage_error(where + "train.ranks: " + std::to_string(e.train.ranks) + ", but the launcher started " +
                std::to_string(ranks) + " ranks");
  if (e.train.batch_size % ranks)
    usage_error(where + "train.batch_size: " + std::to_string(e.train.batch_size) + " does not split evenly over the " +
                std::to_string(ranks) + " ranks the launcher started");
}

void train_stage(const Experiment& e, const std::string& model) {
  const std::string dir = e.output_dir + "/models/";
  // Under a launcher every rank trains (the stage is collective) and rank 0 goes on alone.
  TrainRecord r = !mpi::launched_by_mpi() && e.train.ranks > 1
                      ? train_on_ranks(e, model)
                      : TrainRecord{learner_api().train(model, e.train, data_path(e, "train"),
                                                        split_seed(e.seed, "model." + model), dir + model + ".pt",
                                                        dir + model + ".ckpt", e.config.resolved_yaml())};
  if (mpi::rank() != 0) return;
  // A model whose loss is not clearly below that of predicting the mean target learned nothing
  // (a diverged training ends there): said now and recorded, so the report shows it.
  constexpr double kMustBeat = 0.9;
  if (!(r.final_loss < kMustBeat * r.mean_predictor_loss)) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "train %s: final loss %.3g is not below %.0f%% of predicting the mean target (%.3g): the model "
                  "learned nothing (diverged? check train.lr = %g)",
                  model.c_str(), r.final_loss, 100 * kMustBeat, r.mean_predictor_loss, e.train.lr);
    r.warning = text;
    log::warn(text);
  }
  r.label_gradient_norm = learner_api().gradient_norm(dir + model + ".pt", data_path(e, "train"), 1000,
                                                      split_seed(e.seed, "gradnorm"), e.train.device);
  r.write(dir + model + ".json");
}

void sample_stage(const Experiment& e, const SampleSet& set) {
  const std::string out = e.output_dir + "/samples/" + set.name + ".h5";
  learner::SampleOptions options = e.sample;
  options.threads = learner::sample_threads(e.sample, e.train, omp_get_max_threads());
  SampleRecord r{learner_api().sample(e.output_dir + "/models/" + set.model + ".pt", options, data_path(e, "test"),
                                      split_seed(e.seed, "sample." + set.name), out, set.ardm_steps)};
  r.name = set.name;
  r.write(e.output_dir + "/samples/" + set.name + ".json");
}

void check_devices(const Experiment& e) {
  for (const auto& [key, device] : {std::pair<std::string, std::string>{"train.device", e.train.device},
                                    std::pair<std::string, std::string>{"sample.device", e.sample.device}})
    if (device == "cuda" && !learner_api().has_cuda())
      usage_error("config error: " + e.config.file() + ": " + key +
                  ": cuda, but no CUDA device is usable here (no GPU, or a CPU-only LibTorch build); use auto or cpu");
}

}  // namespace slift::pipeline
