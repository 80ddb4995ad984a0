#include "pipeline/cluster/sbatch.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace slift::pipeline::cluster {

std::vector<Submission> chain(const std::vector<Stage>& stages, const std::vector<PlannedStage>& plan) {
  std::map<std::string, const Stage*> by_name;
  for (const auto& s : stages) by_name[s.name] = &s;
  std::vector<Submission> out;
  std::set<std::string> submitted;
  for (const auto& p : plan) {
    if (p.reason.empty()) continue;
    Submission job{p.stage, p.reason, {}};
    for (const auto& a : by_name.at(p.stage)->after)
      if (submitted.count(a)) job.after.push_back(a);
    if (!out.empty() && std::find(job.after.begin(), job.after.end(), out.back().stage) == job.after.end())
      job.after.push_back(out.back().stage);
    submitted.insert(p.stage);
    out.push_back(job);
  }
  return out;
}

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string job_variable(const std::string& stage) {
  std::string v = stage;
  for (char& c : v)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return v;
}

std::string script_name(const std::string& stage) { return job_variable(stage) + ".sbatch"; }

std::string sbatch_command(const std::string& script, const std::vector<std::string>& after_ids) {
  std::string cmd = "sbatch --parsable";
  if (!after_ids.empty()) {
    cmd += " --dependency=afterok";
    for (const auto& id : after_ids) cmd += ":" + id;
  }
  return cmd + " " + shell_quote(script);
}

std::string render_script(const Profile& p, const Submission& job, const std::string& experiment,
                          const JobCommand& command, const ScriptPaths& paths) {
  const StageResources& r = resources(p, job.stage);
  const bool mpi = stage_kind(job.stage) == "simulate";
  const std::string& partition = r.partition.empty() ? p.partition : r.partition;
  std::string s = p.modules.empty() ? "#!/bin/bash\n" : "#!/bin/bash -l\n";  // a login shell defines `module`
  s += "# slift stage " + job.stage + " of " + command.config + ", written by `slift submit` with " + p.file + "\n";
  s += "# submitted because: " + job.reason + "\n";
  s += "#SBATCH --job-name=" + job.stage + "-" + experiment + "\n";
  if (!partition.empty()) s += "#SBATCH --partition=" + partition + "\n";
  if (!p.account.empty()) s += "#SBATCH --account=" + p.account + "\n";
  s += "#SBATCH --time=" + r.time + "\n";
  s += "#SBATCH --ntasks=" + std::to_string(mpi ? r.tasks : 1) + "\n";
  s += "#SBATCH --cpus-per-task=" + std::to_string(r.cpus_per_task) + "\n";
  if (!r.gres.empty()) s += "#SBATCH --gres=" + r.gres + "\n";
  s += "#SBATCH --chdir=" + paths.workdir + "\n";
  s += "#SBATCH --output=" + paths.log_dir + "/" + job_variable(job.stage) + "-%j.out\n";
  // A failed upstream job cancels this one instead of leaving it pending forever.
  s += "#SBATCH --kill-on-invalid-dep=yes\n";
  for (const auto& o : p.sbatch_options) s += "#SBATCH " + o + "\n";
  s += "set -eo pipefail\n";
  for (const auto& m : p.modules) s += "module load " + m + "\n";
  s += "export OMP_NUM_THREADS=\"$SLURM_CPUS_PER_TASK\"\n";

  std::string launch = "exec ";
  if (mpi) {
    // srun does not pass the job's --cpus-per-task on to its steps (SLURM >= 22.05): say it again.
    launch += p.launcher == "srun" ? "srun --ntasks=\"$SLURM_NTASKS\" --cpus-per-task=\"$SLURM_CPUS_PER_TASK\""
                                   : "mpirun -np \"$SLURM_NTASKS\"";
    for (const auto& a : p.launcher_args) launch += " " + a;
    launch += " ";
  }
  std::string run = shell_quote(command.slift) + " run " + shell_quote(command.config) + " " + shell_quote(job.stage) +
                    " --threads \"$SLURM_CPUS_PER_TASK\"";
  for (const auto& a : command.args) run += " " + shell_quote(a);
  return s + launch + run + "\n";
}

}  // namespace slift::pipeline::cluster
