#include "pipeline/driver.hpp"

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
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "pipeline/lockfile.hpp"

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

// Runs a stage that must run, under its held stage lock: its record and outputs go first, so a
// failure never leaves an old output looking current; then the action; then the new record. A
// stage that checks its outputs itself keeps those its last record does not contradict (a rerun
// after a kill keeps the files the killed run completed).
void execute_stage(const Stage& s, const std::string& run_dir, LockFile& lock) {
  const nlohmann::json* previous = lock.stage(s.name);
  const nlohmann::json recorded = previous ? previous->value("outputs", nlohmann::json::object()) : nlohmann::json();
  for (const auto& out : s.outputs) {
    if (!s.keeps_outputs || (recorded.contains(out) && lock.hash(out) != recorded[out].get<std::string>()))
      fs::remove(fs::path(run_dir) / out);
  }
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

// --jobs N: like make -j, up to N stages at once, each in a forked process whose output goes to
// its log file (progress bars of parallel stages would garble one terminal). The parent only
// decides and waits; a child takes the stage lock, decides again, and records the stage itself.
int run_parallel(const std::vector<Stage>& stages, const std::string& run_dir, const DriverOptions& opt,
                 const Selection& sel) {
  enum class State { pending, running, done, failed };
  std::map<std::string, State> state;
  for (const auto& s : stages)
    if (sel.selected.count(s.name)) state[s.name] = State::pending;
  std::map<pid_t, Child> running;
  log::Stopwatch since_report;
  std::set<std::string> forced;
  LockFile lock(run_dir);
  int n_failed = 0;
  bool stop = false, usage = false;
  fs::create_directories(fs::path(run_dir) / "logs");
  std::cout.flush(), std::fflush(nullptr);  // nothing buffered may be written twice by a child
  for (;;) {
    bool changed = false;
    for (const auto& s : stages) {
      if (!state.count(s.name) || state[s.name] != State::pending) continue;
      bool waiting = false, upstream_failed = false;
      for (const auto& a : s.after) {
        if (!state.count(a)) continue;
        waiting |= state[a] == State::pending || state[a] == State::running;
        upstream_failed |= state[a] == State::failed;
      }
      if (upstream_failed) {
        log::info("  " + s.name + ": skipped: an upstream stage failed");
        state[s.name] = State::failed, changed = true;
        continue;
      }
      if (waiting || stop || static_cast<int>(running.size()) >= opt.jobs) continue;
      lock.reload();
      const std::string reason = own_reason(s, sel, opt, forced, &lock);
      if (reason.empty()) {
        log::info("  " + s.name + ": up to date");
        state[s.name] = State::done, changed = true;
        continue;
      }
      const std::string log_path = stage_log(run_dir, s.name);
      const pid_t driver = getpid();
      const pid_t pid = fork();
      if (pid < 0) runtime_error("cannot fork a process for stage " + s.name);
      if (pid == 0) {
        // A stage dies with its driver (killed or terminated): no orphan computes on, holding the stage lock.
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != driver) _exit(1);
        int code = 0;
        const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, STDOUT_FILENO), dup2(fd, STDERR_FILENO), ::close(fd);
        log::info("==> " + s.name + " (" + reason + ")");
        try {
          StageLock held(run_dir, s.name);
          if (still_to_run(s, reason, lock)) execute_stage(s, run_dir, lock);
        } catch (const Error& e) {
          log::error(s.name + ": " + e.what());
          code = static_cast<int>(e.code());
        } catch (const std::exception& e) {
          log::error(s.name + ": " + e.what());
          code = 1;
        }
        std::cout.flush(), std::fflush(nullptr);
        _exit(code);
      }
      log::info("==> " + s.name + " (" + reason + "), log: " + log_path);
      running.emplace(pid, Child{&s, log::Stopwatch()});
      state[s.name] = State::running, changed = true;
    }
    if (changed) continue;
    if (running.empty()) break;
    int status = 0;
    const pid_t pid = wait_reporting(running, run_dir, status, since_report);
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Stage& s = *it->second.stage;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code == 0) {
      log::info("<== " + s.name + " done in " + log::format_duration(it->second.clock.seconds()));
      state[s.name] = State::done;
    } else {
      std::string why = last_line(stage_log(run_dir, s.name));
      if (why.rfind("error: ", 0) == 0) why.erase(0, 7);
      log::error(s.name + " failed (exit " + std::to_string(code) + "): " + why);
      state[s.name] = State::failed;
      ++n_failed;
      usage |= code == static_cast<int>(ExitCode::usage);
      stop |= usage || !opt.keep_going;
    }
    running.erase(it);
  }
  if (usage) usage_error("a stage was refused; see its log in " + (fs::path(run_dir) / "logs").string());
  return n_failed;
}

}  // namespace

int run_stages(const std::vector<Stage>& stages, const std::string& run_dir, const DriverOptions& opt) {
  if (opt.dry_run) {
    for (const auto& p : plan_stages(stages, run_dir, opt))
      log::info("  " + p.stage + (p.reason.empty() ? ": up to date" : ": would run (" + p.reason + ")"));
    return 0;
  }
  const Selection sel = select(stages, opt);
  if (opt.jobs > 1) {
    if (mpi::launched_by_mpi()) usage_error("--jobs runs stages side by side in one process each; under mpirun use --jobs 1");
    return run_parallel(stages, run_dir, opt, sel);
  }

  // Under mpirun/srun every rank runs the driver: rank 0 decides and keeps the books, the other
  // ranks join the collective stages (the solvers) and skip the rest.
  if (mpi::launched_by_mpi()) mpi::ensure_initialized();
  const bool root = mpi::rank() == 0;
  LockFile lock(run_dir);
  std::set<std::string> failed, forced;
  int n_failed = 0;
  for (const auto& s : stages) {
    if (!sel.selected.count(s.name)) continue;
    std::string reason;
    for (const auto& a : s.after)
      if (failed.count(a)) reason = "skipped: upstream " + a + " failed";
    if (!reason.empty()) {
      log::info("  " + s.name + ": " + reason);
      failed.insert(s.name);
      continue;
    }
    // Other processes may work in this directory too (array tasks, parallel jobs): read their
    // records, and run a stage only under its stage lock, deciding again once it is held.
    std::unique_ptr<StageLock> held;
    if (root) {
      lock.reload();
      reason = own_reason(s, sel, opt, forced, &lock);
      if (!reason.empty()) {
        held = std::make_unique<StageLock>(run_dir, s.name);
        if (!still_to_run(s, reason, lock)) reason.clear();
      }
    }
    if (mpi::broadcast(reason.empty() ? 0 : 1) == 0) reason.clear();
    else if (!root) {
      if (s.collective) s.action();
      continue;
    }
    if (reason.empty()) {
      if (!held) log::info("  " + s.name + ": up to date");
      continue;
    }
    log::info("==> " + s.name + " (" + reason + ")");
    log::Stopwatch clock;
    try {
      execute_stage(s, run_dir, lock);
    } catch (const Error& e) {
      if (e.code() == ExitCode::usage || !opt.keep_going) throw;
      log::error(s.name + " failed: " + e.what());
      failed.insert(s.name);
      ++n_failed;
      continue;
    }
    log::info("<== " + s.name + " done in " + log::format_duration(clock.seconds()));
  }
  return n_failed;
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
