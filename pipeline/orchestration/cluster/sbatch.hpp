// sbatch scripts for the stages of one run directory, and the order they are submitted in.
//
// Each job is `slift run CONFIG STAGE` with the same overrides, so on the cluster the driver
// still decides (a stage found up to date does nothing) and the lock file records the job id.
// Jobs wait (afterok) only for the jobs of their upstream stages: several jobs may work in one run
// directory at once, since each holds a lock on its own stage
// (pipeline/orchestration/lockfile.hpp).
//
// A sweep's per-run stages become job arrays, one per stage (e.g. every run's train:sl), with one
// task per run: task i is run i of the sweep. An array waits for the array of its upstream stage
// task by task (aftercorr) when every one of its tasks has its upstream task in that array, and
// for the whole upstream array (afterok) otherwise; a `%` throttle caps the tasks running at once.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/orchestration/cluster/profile.hpp"
#include "pipeline/orchestration/driver.hpp"
#include "pipeline/orchestration/stage.hpp"

namespace slift::pipeline::cluster {

// What a job waits for: an earlier submission, all of it or task by task.
struct Dependency {
  std::string on;              // the earlier submission's name
  bool corresponding = false;  // aftercorr (task i after task i) instead of afterok
  bool operator==(const Dependency& o) const { return on == o.on && corresponding == o.corresponding; }
};

// One sbatch job: a single stage, or an array running the same stage of several sweep runs.
struct Submission {
  std::string name;                 // the stage, or for an array the stage without the run prefix ("train:sl")
  std::string reason;               // why it runs (of its first task)
  std::vector<std::string> stages;  // the stage each task runs (one for a single job)
  std::vector<int> tasks;           // array task ids, the runs' indices in the sweep; empty: not an array
  std::vector<Dependency> after;    // earlier submissions
  int ranks = 1;                    // MPI ranks a task asks for (a training's train.ranks)
  bool is_array() const { return !tasks.empty(); }
};

// The out-of-date stages of a plan as jobs, each after the submitted jobs of its upstream stages,
// in an order where every job comes after what it waits for. Up-to-date stages are left out.
// Stages named "<run>/<stage>" (a sweep's runs) are grouped into arrays.
std::vector<Submission> plan_jobs(const std::vector<Stage>& stages, const std::vector<PlannedStage>& plan);

// What a job runs: `<slift> run <config> <stage> --threads $SLURM_CPUS_PER_TASK <args...>`.
struct JobCommand {
  std::string slift;              // absolute path of the slift binary
  std::string config;             // absolute path of the experiment config
  std::vector<std::string> args;  // passed through, e.g. "--set", "train.iterations=200"
};

struct ScriptPaths {
  std::string workdir;  // absolute; the job starts here, so relative paths mean what they meant at submit
  std::string log_dir;  // absolute; <job>-<jobid>.out, or <job>-<arrayid>_<task>.out
};

// The sbatch script of one job: resources from the profile by stage kind, simulate (the
// profile's tasks) and a training on train.ranks > 1 (that many tasks, each with the profile's
// GPU request: train.gres gpu:1 becomes --gpus-per-task=1) started by the profile's MPI
// launcher, everything else as one process. An array picks its stage by
// $SLURM_ARRAY_TASK_ID; `throttle` > 0 caps its running tasks ("--array=...%throttle").
std::string render_script(const Profile& profile, const Submission& job, const std::string& experiment,
                          const JobCommand& command, const ScriptPaths& paths, int64_t throttle = 0);

// "0-3,5,7-8": task ids as sbatch --array writes them (sorted, ranges merged).
std::string array_spec(std::vector<int> tasks);
// File name of a job's script: "train:sl" -> "train_sl.sbatch".
std::string script_name(const std::string& job);
// A shell variable name for a job's id: "train:sl" -> "train_sl".
std::string job_variable(const std::string& job);
// The sbatch command line waiting for the given dependencies ("afterok:<id>", "aftercorr:<id>",
// ids may be "$var" references in a dry run).
std::string sbatch_command(const std::string& script, const std::vector<std::string>& dependencies);
// Single-quoted for the shell.
std::string shell_quote(const std::string& word);
// Double-quoted for an #SBATCH line (sbatch reads quotes and backslashes there; an unquoted
// space ends the value and an unquoted '#' starts a comment).
std::string sbatch_quote(const std::string& value);

}  // namespace slift::pipeline::cluster
