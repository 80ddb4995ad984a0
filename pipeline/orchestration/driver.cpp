#include "pipeline/orchestration/driver.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "pipeline/orchestration/lockfile.hpp"

namespace fs = std::filesystem;

namespace slift::pipeline {
namespace {

// "train" selects train:sl and train:deterministic; in a sweep also every run's ("label_dim=4/train:sl"),
// and "simulate" the shared simulate@<hash> stages.
bool matches(const std::string& name, const std::string& target) {
  if (name == target) return true;
  std::string base = name.substr(name.rfind('/') + 1);
  return base == target || base.rfind(target + ":", 0) == 0 || base.rfind(target + "@", 0) == 0;
}

// Why a stage must run, or "" when it is up to date.
std::string stale_reason(const Stage& s, LockFile& lock) {
  const nlohmann::json* rec = lock.stage(s.name);
  if (!rec) return "never ran";
  if (rec->value("version", 0) != s.version) return "stage version changed";
  if (rec->value("params", std::string()) != sha256(s.params)) return "parameters changed";
  const auto ins = rec->value("inputs", nlohmann::json::object());
  for (const auto& in : s.inputs) {
    auto h = lock.hash(in);
    if (!h) return "input " + in + " is missing";
    if (!ins.contains(in) || ins[in].get<std::string>() != *h) return "input " + in + " changed";
  }
  const auto outs = rec->value("outputs", nlohmann::json::object());
  for (const auto& out : s.outputs) {
    auto h = lock.hash(out);
    if (!h) return "output " + out + " is missing";
    if (!outs.contains(out) || outs[out].get<std::string>() != *h) return "output " + out + " was modified";
  }
  return "";
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The targets and everything upstream of them.
struct Selection {
  std::set<std::string> selected, targeted;
};

Selection select(const std::vector<Stage>& stages, const DriverOptions& opt) {
  Selection sel;
  for (const auto& t : opt.targets) {
    bool any = false;
    for (const auto& s : stages)
      if (matches(s.name, t)) sel.targeted.insert(s.name), any = true;
    if (!any) {
      std::string names;
      for (const auto& s : stages) names += (names.empty() ? "" : ", ") + s.name;
      usage_error("unknown stage '" + t + "' (stages: " + names + ")");
    }
  }
  if (opt.targets.empty())
    for (const auto& s : stages) sel.targeted.insert(s.name);
  for (auto it = stages.rbegin(); it != stages.rend(); ++it)
    if (sel.targeted.count(it->name) || sel.selected.count(it->name)) {
      sel.selected.insert(it->name);
      for (const auto& a : it->after) sel.selected.insert(a);
    }
  return sel;
}

// Why a selected stage must run by itself (forced, or stale in the lock; no lock: forced only),
// or "". Records forced stages so --force-downstream reaches what depends on them.
std::string own_reason(const Stage& s, const Selection& sel, const DriverOptions& opt, std::set<std::string>& forced,
                       LockFile* lock) {
  for (const auto& a : s.after)
    if (opt.force_downstream && forced.count(a)) forced.insert(s.name);
  if (opt.force && sel.targeted.count(s.name)) forced.insert(s.name);
  if (forced.count(s.name)) return "forced";
  return lock ? stale_reason(s, *lock) : "";
}

}  // namespace

std::vector<PlannedStage> plan_stages(const std::vector<Stage>& stages, const std::string& run_dir,
                                      const DriverOptions& opt) {
  const Selection sel = select(stages, opt);
  LockFile lock(run_dir);
  std::set<std::string> forced, will_run;
  std::vector<PlannedStage> plan;
  for (const auto& s : stages) {
    if (!sel.selected.count(s.name)) continue;
    std::string reason = own_reason(s, sel, opt, forced, &lock);
    for (const auto& a : s.after)
      if (reason.empty() && will_run.count(a)) reason = "upstream " + a + " will rerun";
    if (!reason.empty()) will_run.insert(s.name);
    plan.push_back({s.name, reason});
  }
  return plan;
}

namespace {

// Once the stage lock is held, whether the stage decided on (`reason`) still has to run: another
// slift (an array task, a parallel job) may have run it meanwhile.
bool still_to_run(const Stage& s, const std::string& reason, LockFile& lock) {
  lock.reload();
  if (reason == "forced" || !stale_reason(s, lock).empty()) return true;
  log::info("  " + s.name + ": up to date (another slift ran it meanwhile)");
  return false;
}

// Read-locks a stage's inputs and outputs before deciding on their hashes (FileLocks): no other
// slift changes them from then to the end of this run.
void lock_to_decide(const Stage& s, FileLocks& files) {
  files.read(s.inputs);
  files.read(s.outputs);
}

// Runs a stage that must run, under its held stage lock: its record goes first, so a failure
// never leaves an old output looking current; then the action; then the new record. Outputs stay
// in place until the action replaces them (every writer renames a complete file over the old
// one), so a killed run, --force included, leaves the old output or the new one, never neither;
// an action may keep one that is complete and still valid (a rerun after a kill keeps the splits
// the killed run completed). An output its last record contradicts (modified since) is removed.
void execute_stage(const Stage& s, const std::string& run_dir, LockFile& lock) {
  const nlohmann::json* previous = lock.stage(s.name);
  const nlohmann::json recorded = previous ? previous->value("outputs", nlohmann::json::object()) : nlohmann::json();
  for (const auto& out : s.outputs)
    if (recorded.contains(out) && lock.hash(out) != recorded[out].get<std::string>()) fs::remove(fs::path(run_dir) / out);
  lock.commit(s.name, nullptr);
  nlohmann::json rec = {{"version", s.version}, {"params", sha256(s.params)}, {"inputs", nlohmann::json::object()},
                        {"outputs", nlohmann::json::object()}};
  for (const auto& in : s.inputs) {  // hashed before the stage runs
    auto h = lock.hash(in);
    if (!h) runtime_error("stage " + s.name + ": input " + in + " is missing");
    rec["inputs"][in] = *h;
  }
  log::Stopwatch clock;
  s.action();
  for (const auto& out : s.outputs) {
    auto h = lock.hash(out);
    if (!h) runtime_error("stage " + s.name + " did not write " + out);
    rec["outputs"][out] = *h;
  }
  rec["seconds"] = clock.seconds();
  rec["finished_at"] = now_utc();
  if (const char* job = std::getenv("SLURM_JOB_ID")) rec["slurm_job_id"] = job;
  const char* array = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  if (array && task) rec["slurm_array_task"] = std::string(array) + "_" + task;  // as sacct names it
  lock.commit(s.name, rec);
}

// <run_dir>/logs/<stage>.log, "/" and ":" of sweep stage names as "_".
std::string stage_log(const std::string& run_dir, std::string stage) {
  for (char& c : stage)
    if (c == '/' || c == ':') c = '_';
  return (fs::path(run_dir) / "logs" / (stage + ".log")).string();
}

// The last non-empty line of a file (a failed stage's error), or "".
std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

struct Child {
  const Stage* stage;
  log::Stopwatch clock;
};

// Waits for a stage's process to end; every kReportSeconds meanwhile prints the last line of each
// running stage's log (its progress), so a long parallel run is not silent on the terminal.
pid_t wait_reporting(const std::map<pid_t, Child>& running, const std::string& run_dir, int& status,
                     log::Stopwatch& since_report) {
  constexpr double kReportSeconds = 60;
  for (;;) {
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0) runtime_error("waiting for the stages' processes failed");
    if (pid > 0) return pid;
    if (since_report.seconds() >= kReportSeconds) {
      for (const auto& [_, child] : running)
        log::info("  " + child.stage->name + " (" + log::format_duration(child.clock.seconds()) +
                  "): " + last_line(stage_log(run_dir, child.stage->name)));
      since_report = log::Stopwatch();
    }
    usleep(200 * 1000);
  }
}

// How the scheduler runs the stages it decided on. A runner claims a stage that is out of date
// (another slift may have run it meanwhile), starts it, and reports when a started stage ended.
class Runner {
 public:
  struct Claim {
    std::string reason;  // why it runs; "" when it does not
    bool told = false;   // "" and the runner already said why (another slift ran it)
  };
  struct Ended {
    const Stage* stage;
    bool failed = false;
    bool refused = false;  // failed as a usage error: nothing new starts, keep_going or not
  };
  virtual ~Runner() = default;
  virtual bool has_room() const = 0;
  // `decide` gives the stage's reason to run as the lock file now says ("" when up to date).
  virtual Claim claim(const Stage& s, const std::function<std::string()>& decide) = 0;
  virtual void start(const Stage& s, const std::string& reason) = 0;
  virtual bool any_running() const = 0;
  virtual Ended wait() = 0;  // one started stage's end
  virtual void finish() {}   // after the last stage
};

// The one scheduler of `slift run`: stages in dependency order, each once its upstream is done,
// skipped when an upstream failed; after a failure no new stage starts unless keep_going.
int schedule(const std::vector<Stage>& stages, const Selection& sel, const DriverOptions& opt, LockFile& lock,
             Runner& runner) {
  enum class State { pending, running, done, failed };
  std::map<std::string, State> state;
  for (const auto& s : stages)
    if (sel.selected.count(s.name)) state[s.name] = State::pending;
  std::set<std::string> forced;
  int n_failed = 0;
  bool stop = false;
  for (;;) {
    bool changed = false;
    for (const auto& s : stages) {
      if (!state.count(s.name) || state[s.name] != State::pending) continue;
      bool waiting = false;
      std::string failed_upstream;
      for (const auto& a : s.after) {
        if (!state.count(a)) continue;
        waiting |= state[a] == State::pending || state[a] == State::running;
        if (state[a] == State::failed) failed_upstream = a;
      }
      if (!failed_upstream.empty()) {
        log::info("  " + s.name + ": skipped: upstream " + failed_upstream + " failed");
        state[s.name] = State::failed, changed = true;
        continue;
      }
      if (waiting || stop || !runner.has_room()) continue;
      const Runner::Claim c = runner.claim(s, [&] {
        lock.reload();
        return own_reason(s, sel, opt, forced, &lock);
      });
      changed = true;
      if (c.reason.empty()) {
        if (!c.told) log::info("  " + s.name + ": up to date");
        state[s.name] = State::done;
        continue;
      }
      runner.start(s, c.reason);
      state[s.name] = State::running;
    }
    if (changed) continue;
    if (!runner.any_running()) break;
    const Runner::Ended ended = runner.wait();
    state[ended.stage->name] = ended.failed ? State::failed : State::done;
    if (ended.failed) ++n_failed, stop |= ended.refused || !opt.keep_going;
  }
  runner.finish();
  return n_failed;
}

// One stage at a time in this process. Under mpirun/srun every rank runs the driver: rank 0
// decides and keeps the books, the other ranks join the collective stages (the solvers) and skip
// the rest. A failure ends the run (an exception) unless keep_going; a refusal always does.
class InProcessRunner : public Runner {
 public:
  InProcessRunner(const std::string& run_dir, const DriverOptions& opt, LockFile& lock, FileLocks& files)
      : run_dir_(run_dir), opt_(opt), lock_(lock), files_(files) {
    if (mpi::launched_by_mpi()) mpi::ensure_initialized();
  }
  bool has_room() const override { return !ended_; }
  bool any_running() const override { return ended_.has_value(); }

  // Other processes may work in this directory too (array tasks, parallel jobs): a stage runs only
  // under its stage lock, decided again once it is held.
  Claim claim(const Stage& s, const std::function<std::string()>& decide) override {
    Claim c;
    const bool root = mpi::rank() == 0;
    if (root) {
      lock_to_decide(s, files_);
      c.reason = decide();
      if (!c.reason.empty()) {
        held_ = std::make_unique<StageLock>(run_dir_, s.name);
        if (!still_to_run(s, c.reason, lock_)) c.reason.clear(), c.told = true, held_.reset();
        else files_.write(s.outputs);
      }
    }
    if (mpi::broadcast(c.reason.empty() ? 0 : 1) == 0) return c;
    if (!root) {  // this rank's part of the stage, if any; rank 0 keeps the books
      if (s.collective) s.action();
      return Claim{"", true};
    }
    return c;
  }

  void start(const Stage& s, const std::string& reason) override {
    log::info("==> " + s.name + " (" + reason + ")");
    log::Stopwatch clock;
    ended_ = Ended{&s};
    try {
      execute_stage(s, run_dir_, lock_);
    } catch (const Error& e) {
      if (e.code() == ExitCode::usage || !opt_.keep_going) throw;
      log::error(s.name + " failed: " + e.what());
      ended_->failed = true;
    }
    files_.read(s.outputs);  // what the stages after it read
    held_.reset();
    if (!ended_->failed) log::info("<== " + s.name + " done in " + log::format_duration(clock.seconds()));
  }

  Ended wait() override {
    const Ended e = *ended_;
    ended_.reset();
    return e;
  }

 private:
  const std::string& run_dir_;
  const DriverOptions& opt_;
  LockFile& lock_;
  FileLocks& files_;
  std::unique_ptr<StageLock> held_;
  std::optional<Ended> ended_;
};

// --jobs N: like make -j, up to N stages at once, each in a forked process whose output goes to
// its log file (progress bars of parallel stages would garble one terminal). The parent only
// decides and waits; a child takes the stage lock, decides again, and records the stage itself.
class ForkingRunner : public Runner {
 public:
  ForkingRunner(const std::string& run_dir, const DriverOptions& opt, LockFile& lock, FileLocks& files)
      : run_dir_(run_dir), opt_(opt), lock_(lock), files_(files) {
    if (mpi::launched_by_mpi()) usage_error("--jobs runs stages side by side in one process each; under mpirun use --jobs 1");
    fs::create_directories(fs::path(run_dir) / "logs");
    std::cout.flush(), std::fflush(nullptr);  // nothing buffered may be written twice by a child
  }
  bool has_room() const override { return static_cast<int>(running_.size()) < opt_.jobs; }
  bool any_running() const override { return !running_.empty(); }
  Claim claim(const Stage& s, const std::function<std::string()>& decide) override {
    lock_to_decide(s, files_);
    return {decide(), false};
  }

  void start(const Stage& s, const std::string& reason) override {
    const std::string log_path = stage_log(run_dir_, s.name);
    files_.write(s.outputs);  // held here for the child (one open file, shared over the fork)
    const pid_t driver = getpid();
    const pid_t pid = fork();
    if (pid < 0) runtime_error("cannot fork a process for stage " + s.name);
    if (pid == 0) {
      // A stage dies with its driver (killed or terminated): no orphan computes on, holding the stage lock.
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != driver) _exit(1);
      const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd >= 0) dup2(fd, STDOUT_FILENO), dup2(fd, STDERR_FILENO), ::close(fd);
      log::info("==> " + s.name + " (" + reason + ")");
      _exit(run_child(s, reason));
    }
    log::info("==> " + s.name + " (" + reason + "), log: " + log_path);
    running_.emplace(pid, Child{&s, log::Stopwatch()});
  }

  Ended wait() override {
    for (;;) {
      int status = 0;
      const pid_t pid = wait_reporting(running_, run_dir_, status, since_report_);
      const auto it = running_.find(pid);
      if (it == running_.end()) continue;
      const Stage& s = *it->second.stage;
      const int code = exit_code_of(status);
      if (code == 0) {
        log::info("<== " + s.name + " done in " + log::format_duration(it->second.clock.seconds()));
      } else {
        std::string why = last_line(stage_log(run_dir_, s.name));
        if (why.rfind("error: ", 0) == 0) why.erase(0, 7);
        log::error(s.name + " failed (exit " + std::to_string(code) + "): " + why);
      }
      files_.read(s.outputs);
      const bool refused = code == static_cast<int>(ExitCode::usage);
      refused_ |= refused;
      running_.erase(it);
      return {&s, code != 0, refused};
    }
  }

  void finish() override {
    if (refused_) usage_error("a stage was refused; see its log in " + (fs::path(run_dir_) / "logs").string());
  }

 private:
  // The forked process: the stage under its stage lock, its exit code.
  int run_child(const Stage& s, const std::string& reason) {
    int code = 0;
    try {
      StageLock held(run_dir_, s.name);
      if (still_to_run(s, reason, lock_)) execute_stage(s, run_dir_, lock_);
    } catch (const Error& e) {
      log::error(s.name + ": " + e.what());
      code = static_cast<int>(e.code());
    } catch (const std::exception& e) {
      log::error(s.name + ": " + e.what());
      code = 1;
    }
    std::cout.flush(), std::fflush(nullptr);
    return code;
  }

  const std::string& run_dir_;
  const DriverOptions& opt_;
  LockFile& lock_;
  FileLocks& files_;
  std::map<pid_t, Child> running_;
  log::Stopwatch since_report_;
  bool refused_ = false;
};

}  // namespace

int run_stages(const std::vector<Stage>& stages, const std::string& run_dir, const DriverOptions& opt) {
  if (opt.dry_run) {
    for (const auto& p : plan_stages(stages, run_dir, opt))
      log::info("  " + p.stage + (p.reason.empty() ? ": up to date" : ": would run (" + p.reason + ")"));
    return 0;
  }
  const Selection sel = select(stages, opt);
  LockFile lock(run_dir);
  FileLocks files(run_dir);  // held to the end of the run
  if (opt.jobs > 1) {
    ForkingRunner runner(run_dir, opt, lock, files);
    return schedule(stages, sel, opt, lock, runner);
  }
  InProcessRunner runner(run_dir, opt, lock, files);
  return schedule(stages, sel, opt, lock, runner);
}

std::string describe_dag(const std::vector<Stage>& stages, bool dot) {
  std::string out;
  if (dot) {
    out = "digraph slift {\n  rankdir=LR;\n";
    for (const auto& s : stages) {
      out += "  \"" + s.name + "\";\n";
      for (const auto& a : s.after) out += "  \"" + a + "\" -> \"" + s.name + "\";\n";
    }
    return out + "}\n";
  }
  for (const auto& s : stages) {
    out += s.name + "\n";
    for (const auto& a : s.after) out += "  after   " + a + "\n";
    for (const auto& i : s.inputs) out += "  reads   " + i + "\n";
    for (const auto& o : s.outputs) out += "  writes  " + o + "\n";
  }
  return out;
}

}  // namespace slift::pipeline
