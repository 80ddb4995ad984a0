// slift submit: the stages `slift run` would run (of one experiment or a sweep), as sbatch jobs
// (a sweep's per-run stages as job arrays) chained with afterok/aftercorr, written to
// <output_dir>/slurm/ with the job ids in slurm/jobs.json. Site settings come from a cluster
// profile (cluster/*.yaml), never from the experiment config.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "pipeline/commands/common.hpp"
#include "pipeline/orchestration/cluster/profile.hpp"
#include "pipeline/orchestration/cluster/sbatch.hpp"
#include "pipeline/orchestration/cluster/slurm_cli.hpp"
#include "pipeline/orchestration/driver.hpp"
#include "pipeline/orchestration/experiment_stages.hpp"
#include "pipeline/orchestration/sweep.hpp"

namespace fs = std::filesystem;

namespace slift::pipeline {
namespace {

struct SubmitFlags {
  CommonFlags common;
  std::string profile;
  std::vector<std::string> targets;
  int64_t throttle = -1;  // -1: the profile's array_throttle
  bool dry_run = false;
};

// Jobs from an earlier submit that are still queued would run the same stages again.
void refuse_if_still_queued(const fs::path& jobs_file) {
  if (!fs::exists(jobs_file)) return;
  std::vector<std::string> ids;
  std::ifstream in(jobs_file);
  const nlohmann::json record = nlohmann::json::parse(in);
  for (const auto& j : record["jobs"])
    ids.push_back(j["job_id"].get<std::string>());
  std::vector<std::string> active = cluster::active_jobs(ids);
  if (active.empty()) return;
  std::string list;
  for (const auto& id : active) list += (list.empty() ? "" : " ") + id;
  usage_error("job(s) " + list + " from the previous `slift submit` (" + jobs_file.string() +
              ") are still queued or running; wait for them, or cancel them with: scancel " + list);
}

void execute(const SubmitFlags& f) {
  apply_common(f.common);
  const LoadedRun loaded(f.common.config, f.common.overrides);  // every config check, before anything is written
  if (!fs::is_regular_file(f.common.config))
    usage_error("config error: " + f.common.config + ": the jobs read the config again on the cluster: give a file, not a pipe");
  const std::vector<Stage>& stages = loaded.stages;
  const std::string &run_dir = loaded.run_dir, &name = loaded.name;
  const cluster::Profile profile = cluster::load_profile(f.profile);
  DriverOptions opt;
  opt.targets = f.targets;
  const std::vector<PlannedStage> plan = plan_stages(stages, run_dir, opt);
  const std::vector<cluster::Submission> jobs = cluster::plan_jobs(stages, plan);
  const int64_t throttle = f.throttle >= 0 ? f.throttle : profile.array_throttle;

  const fs::path slurm_dir = fs::absolute(run_dir) / "slurm";
  cluster::JobCommand command{fs::read_symlink("/proc/self/exe").string(), fs::absolute(f.common.config).string(), {}};
  for (const auto& o : f.common.overrides) command.args.insert(command.args.end(), {"--set", o});
  const cluster::ScriptPaths paths{fs::current_path().string(), slurm_dir.string()};

  log::info("slift submit " + f.common.config + " -> " + run_dir + " with " + f.profile +
            (f.dry_run ? " (dry run)" : ""));
  for (const auto& p : plan)
    if (p.reason.empty()) log::info("  " + p.stage + ": up to date, not submitted");
  if (jobs.empty()) {
    log::info("nothing to submit: every stage is up to date");
    return;
  }
  const fs::path jobs_file = slurm_dir / "jobs.json";
  if (!f.dry_run) refuse_if_still_queued(jobs_file);

  std::map<std::string, std::string> ids;  // job name -> job id ("$variable" in a dry run)
  std::string commands;
  nlohmann::json record = {{"config", command.config}, {"profile", profile.file}, {"jobs", nlohmann::json::array()}};
  for (const auto& job : jobs) {
    const std::string script = cluster::render_script(profile, job, name, command, paths, throttle);
    const std::string path = (slurm_dir / cluster::script_name(job.name)).string();
    std::string afterok, aftercorr;  // "afterok:<id>:<id>", one entry per type
    for (const auto& d : job.after) (d.corresponding ? aftercorr : afterok) += ":" + ids.at(d.on);
    std::vector<std::string> after;
    if (!afterok.empty()) after.push_back("afterok" + afterok);
    if (!aftercorr.empty()) after.push_back("aftercorr" + aftercorr);
    const std::string sbatch = cluster::sbatch_command(path, after);
    if (f.dry_run) {
      std::cout << "# ---- " << path << " ----\n" << script << "\n";
      ids[job.name] = "$" + cluster::job_variable(job.name);
      commands += cluster::job_variable(job.name) + "=$(" + sbatch + ")\n";
      continue;
    }
    write_file_atomic(path, script);
    try {
      ids[job.name] = cluster::submit(sbatch);
    } catch (const Error& err) {
      std::string done;
      for (const auto& j : record["jobs"]) done += " " + j["job_id"].get<std::string>();
      if (!done.empty()) write_file_atomic(jobs_file.string(), record.dump(2) + "\n");
      runtime_error(std::string(err.what()) + (done.empty() ? "" : "; already submitted:" + done));
    }
    nlohmann::json entry = {{"job", job.name}, {"job_id", ids[job.name]}, {"reason", job.reason}, {"script", path}};
    if (job.is_array()) {  // task id -> stage, as sacct lists <job_id>_<task>
      entry["tasks"] = nlohmann::json::object();
      for (size_t i = 0; i < job.tasks.size(); ++i) entry["tasks"][std::to_string(job.tasks[i])] = job.stages[i];
    } else {
      entry["stage"] = job.stages.front();
    }
    record["jobs"].push_back(entry);
    std::cout << job.name << ": " << (job.is_array() ? "array job " : "job ") << ids[job.name]
              << (job.is_array() ? " (" + std::to_string(job.tasks.size()) + " tasks, " : " (") << job.reason << ")"
              << std::endl;
  }
  if (f.dry_run)
    std::cout << "# ---- sbatch commands (not run) ----\n" << commands;
  else
    write_file_atomic(jobs_file.string(), record.dump(2) + "\n");
}

}  // namespace

void add_submit(CLI::App& app) {
  auto* cmd = app.add_subcommand("submit", "submit the out-of-date stages to SLURM as jobs chained with afterok");
  cmd->footer(
      "Examples:\n"
      "  slift submit configs/duffing.yaml --profile cluster/generic-gpu.yaml --dry-run   # scripts + sbatch lines\n"
      "  slift submit configs/duffing.yaml --profile cluster/local.yaml --set train.iterations=500\n"
      "  slift submit experiments/duffing-label-dim.yaml --profile cluster/local.yaml --throttle 2\n"
      "Scripts and job ids go to <output_dir>/slurm/; each job runs `slift run CONFIG STAGE`. A sweep's\n"
      "per-run stages go as job arrays, one task per run.");
  auto* f = new SubmitFlags();  // lives as long as the program: CLI11 binds to it
  add_common(cmd, f->common);
  cmd->add_option("STAGE", f->targets, "stages to bring up to date, with what they need (default: all)");
  cmd->add_option("--profile", f->profile, "cluster profile (YAML), e.g. cluster/local.yaml")->required();
  cmd->add_option("--throttle", f->throttle,
                  "sweep arrays: tasks running at once (sbatch --array=...%N; 0: no cap; default: the profile's "
                  "array_throttle)")
      ->check(CLI::Range(int64_t{0}, int64_t{100000}));
  cmd->add_flag("-n,--dry-run", f->dry_run, "print the scripts and sbatch commands, submit nothing");
  cmd->callback([f] { execute(*f); });
}

}  // namespace slift::pipeline
