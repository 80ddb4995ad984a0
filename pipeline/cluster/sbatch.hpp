// sbatch scripts for the stages of one run directory, and the order they are submitted in.
//
// Each job is `slift run CONFIG STAGE` with the same overrides, so on the cluster the driver
// still decides (a stage found up to date does nothing) and the lock file records the job id.
// Jobs of one run directory run one after another: the lock file has a single writer (a second
// `slift run` on the directory is refused), so every job also waits for the one submitted before
// it. Separate run directories (a sweep's runs) still run side by side.
#pragma once
#include <string>
#include <vector>

#include "pipeline/cluster/profile.hpp"
#include "pipeline/driver.hpp"
#include "pipeline/stage.hpp"

namespace slift::pipeline::cluster {

// One stage to submit and the earlier submissions it waits for (afterok).
struct Submission {
  std::string stage, reason;
  std::vector<std::string> after;  // stage names, each submitted earlier
};

// The out-of-date stages of a plan, each after its upstream stages that are submitted too and
// after the submission before it. Up-to-date stages are left out.
std::vector<Submission> chain(const std::vector<Stage>& stages, const std::vector<PlannedStage>& plan);

// What a job runs: `<slift> run <config> <stage> --threads $SLURM_CPUS_PER_TASK <args...>`.
struct JobCommand {
  std::string slift;              // absolute path of the slift binary
  std::string config;             // absolute path of the experiment config
  std::vector<std::string> args;  // passed through, e.g. "--set", "train.iterations=200"
};

struct ScriptPaths {
  std::string workdir;  // absolute; the job starts here, so relative paths mean what they meant at submit
  std::string log_dir;  // absolute; <stage>-<jobid>.out
};

// The sbatch script of one stage: resources from the profile by stage kind, simulate started by
// the profile's MPI launcher, everything else as one process.
std::string render_script(const Profile& profile, const Submission& job, const std::string& experiment,
                          const JobCommand& command, const ScriptPaths& paths);

// File name of a stage's script: "train:sl" -> "train_sl.sbatch".
std::string script_name(const std::string& stage);
// A shell variable name for a stage's job id: "train:sl" -> "train_sl".
std::string job_variable(const std::string& stage);
// The sbatch command line, after the given job ids (or "$var" references in a dry run).
std::string sbatch_command(const std::string& script, const std::vector<std::string>& after_ids);
// Single-quoted for the shell.
std::string shell_quote(const std::string& word);

}  // namespace slift::pipeline::cluster
