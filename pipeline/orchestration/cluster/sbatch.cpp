#include "pipeline/orchestration/cluster/sbatch.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/error.hpp"

namespace slift::pipeline::cluster {
namespace {

// "label_dim=4/train:sl" -> {"label_dim=4/", "train:sl"}; "simulate@4c3e" -> {"", "simulate@4c3e"}.
std::pair<std::string, std::string> split_run(const std::string& stage) {
  const size_t slash = stage.rfind('/');
  if (slash == std::string::npos) return {"", stage};
  return {stage.substr(0, slash + 1), stage.substr(slash + 1)};
}

// Submissions in an order where each comes after every submission it waits for (stable), and
// each one's dependencies in that order.
std::vector<Submission> dependency_order(std::vector<Submission> jobs) {
  std::vector<Submission> out;
  std::set<std::string> emitted;
  while (!jobs.empty()) {
    auto ready = std::find_if(jobs.begin(), jobs.end(), [&](const Submission& j) {
      return std::all_of(j.after.begin(), j.after.end(), [&](const Dependency& d) { return emitted.count(d.on) > 0; });
    });
    if (ready == jobs.end()) runtime_error("the sweep's stages cannot be grouped into job arrays without a cycle");
    emitted.insert(ready->name);
    out.push_back(std::move(*ready));
    jobs.erase(ready);
  }
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < out.size(); ++i) position[out[i].name] = i;
  for (auto& job : out)  // dependencies in submission order, for readable sbatch lines
    std::sort(job.after.begin(), job.after.end(),
              [&](const Dependency& a, const Dependency& b) { return position.at(a.on) < position.at(b.on); });
  return out;
}

}  // namespace

std::vector<Submission> plan_jobs(const std::vector<Stage>& stages, const std::vector<PlannedStage>& plan) {
  std::map<std::string, const Stage*> by_name;
  std::map<std::string, int> run_index;  // a sweep run's prefix -> its index (array task id)
  for (const auto& s : stages) {
    by_name[s.name] = &s;
    const std::string prefix = split_run(s.name).first;
    if (!prefix.empty() && !run_index.count(prefix)) run_index.emplace(prefix, static_cast<int>(run_index.size()));
  }
  std::vector<Submission> jobs;
  std::map<std::string, size_t> job_of_key;                // "1:<stage>" single, "*:<stage>" array -> job
  std::map<std::string, std::pair<size_t, int>> where;      // stage -> (job, task or -1)
  for (const auto& p : plan) {
    if (p.reason.empty()) continue;
    const auto [prefix, base] = split_run(p.stage);
    const std::string key = (prefix.empty() ? "1:" : "*:") + (prefix.empty() ? p.stage : base);
    auto it = job_of_key.find(key);
    if (it == job_of_key.end()) {
      it = job_of_key.emplace(key, jobs.size()).first;
      jobs.push_back({prefix.empty() ? p.stage : base, p.reason, {}, {}, {}});
    }
    Submission& job = jobs[it->second];
    job.stages.push_back(p.stage);
    job.ranks = std::max(job.ranks, by_name.at(p.stage)->ranks);
    const int task = prefix.empty() ? -1 : run_index.at(prefix);
    if (task >= 0) job.tasks.push_back(task);
    where[p.stage] = {it->second, task};
  }
  for (size_t j = 0; j < jobs.size(); ++j) {
    Submission& job = jobs[j];
    std::map<size_t, bool> upstream;  // job -> task by task so far
    for (const auto& stage : job.stages) {
      const int task = where.at(stage).second;
      for (const auto& a : by_name.at(stage)->after) {
        auto w = where.find(a);
        if (w == where.end()) continue;  // up to date: not submitted, nothing to wait for
        const auto [up, up_task] = w->second;
        const bool same_task = task >= 0 && up_task == task;
        auto [entry, fresh] = upstream.emplace(up, same_task);
        if (!fresh) entry->second = entry->second && same_task;
      }
    }
    for (const auto& [up, same_task] : upstream) {
      const auto& up_tasks = jobs[up].tasks;
      // Task by task only if every task has its partner upstream: the partner of a missing task
      // would be an unknown dependency to SLURM.
      bool corresponding = same_task && job.is_array() && jobs[up].is_array();
      for (int t : job.tasks)
        corresponding = corresponding && std::find(up_tasks.begin(), up_tasks.end(), t) != up_tasks.end();
      job.after.push_back({jobs[up].name, corresponding});
    }
  }
  return dependency_order(std::move(jobs));
}

std::string array_spec(std::vector<int> tasks) {
  std::sort(tasks.begin(), tasks.end());
  tasks.erase(std::unique(tasks.begin(), tasks.end()), tasks.end());
  std::string out;
  for (size_t i = 0; i < tasks.size();) {
    size_t j = i;
    while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(tasks[i]) + (j > i ? "-" + std::to_string(tasks[j]) : "");
    i = j + 1;
  }
  return out;
}

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string sbatch_quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) out += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

std::string job_variable(const std::string& job) {
  std::string v = job;
  for (char& c : v)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return v;
}

std::string script_name(const std::string& job) { return job_variable(job) + ".sbatch"; }

std::string sbatch_command(const std::string& script, const std::vector<std::string>& dependencies) {
  std::string cmd = "sbatch --parsable";
  if (!dependencies.empty()) {
    cmd += " --dependency=";
    for (size_t i = 0; i < dependencies.size(); ++i) cmd += (i ? "," : "") + dependencies[i];
  }
  return cmd + " " + shell_quote(script);
}

std::string render_script(const Profile& p, const Submission& job, const std::string& experiment,
                          const JobCommand& command, const ScriptPaths& paths, int64_t throttle) {
  // No quoting carries a line break through a comment or an #SBATCH line: such a value would end
  // the line and run the rest as a command.
  const auto control = [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0; };
  for (std::string value : {experiment, command.slift, command.config, paths.workdir, paths.log_dir, p.file})
    if (std::any_of(value.begin(), value.end(), control)) {
      std::replace_if(value.begin(), value.end(), control, '?');
      usage_error("'" + value + "' cannot go into a job script: it holds a line break or another control character");
    }
  const std::string& first = job.stages.front();
  const StageResources& r = resources(p, first);
  const bool simulate = stage_kind(first) == "simulate", mpi = simulate || job.ranks > 1;
  const int64_t tasks = simulate ? r.tasks : job.ranks;
  const std::string& partition = r.partition.empty() ? p.partition : r.partition;
  std::string s = p.modules.empty() ? "#!/bin/bash\n" : "#!/bin/bash -l\n";  // a login shell defines `module`
  s += "# slift stage " + job.name + " of " + command.config + ", written by `slift submit` with " + p.file + "\n";
  s += "# submitted because: " + job.reason + "\n";
  s += "#SBATCH --job-name=" + job.name + "-" + experiment + "\n";
  if (job.is_array())
    s += "#SBATCH --array=" + array_spec(job.tasks) + (throttle > 0 ? "%" + std::to_string(throttle) : "") + "\n";
  if (!partition.empty()) s += "#SBATCH --partition=" + partition + "\n";
  if (!p.account.empty()) s += "#SBATCH --account=" + p.account + "\n";
  s += "#SBATCH --time=" + r.time + "\n";
  s += "#SBATCH --ntasks=" + std::to_string(tasks) + "\n";
  s += "#SBATCH --cpus-per-task=" + std::to_string(r.cpus_per_task) + "\n";
  // A GPU request is per node; a data-parallel training's ranks each ask for theirs.
  if (!r.gres.empty() && tasks > 1 && r.gres.rfind("gpu:", 0) == 0)
    s += "#SBATCH --gpus-per-task=" + r.gres.substr(4) + "\n";
  else if (!r.gres.empty())
    s += "#SBATCH --gres=" + r.gres + "\n";
  s += "#SBATCH --chdir=" + sbatch_quote(paths.workdir) + "\n";
  s += "#SBATCH --output=" +
       sbatch_quote(paths.log_dir + "/" + job_variable(job.name) + (job.is_array() ? "-%A_%a" : "-%j") + ".out") + "\n";
  // A failed upstream job cancels this one instead of leaving it pending forever.
  s += "#SBATCH --kill-on-invalid-dep=yes\n";
  for (const auto& o : p.sbatch_options) s += "#SBATCH " + o + "\n";
  s += "set -eo pipefail\n";
  for (const auto& m : p.modules) s += "module load " + m + "\n";
  s += "export OMP_NUM_THREADS=\"$SLURM_CPUS_PER_TASK\"\n";
  std::string stage = shell_quote(first);
  if (job.is_array()) {
    s += "stages=(";  // task id -> the stage of that sweep run
    for (size_t i = 0; i < job.tasks.size(); ++i)
      s += (i ? " [" : "[") + std::to_string(job.tasks[i]) + "]=" + shell_quote(job.stages[i]);
    s += ")\n";
    stage = "\"${stages[$SLURM_ARRAY_TASK_ID]}\"";
  }

  std::string launch = "exec ";
  if (mpi) {
    // srun does not pass the job's --cpus-per-task on to its steps (SLURM >= 22.05): say it again.
    launch += p.launcher == "srun" ? "srun --ntasks=\"$SLURM_NTASKS\" --cpus-per-task=\"$SLURM_CPUS_PER_TASK\""
                                   : "mpirun -np \"$SLURM_NTASKS\"";
    for (const auto& a : p.launcher_args) launch += " " + a;
    launch += " ";
  }
  std::string run = shell_quote(command.slift) + " run " + shell_quote(command.config) + " " + stage +
                    " --threads \"$SLURM_CPUS_PER_TASK\"";
  for (const auto& a : command.args) run += " " + shell_quote(a);
  return s + launch + run + "\n";
}

}  // namespace slift::pipeline::cluster
