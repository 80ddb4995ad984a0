// slift run / train / sample / evaluate: the make-style driver over an experiment's stages.
// `train`, `sample` and `evaluate` are `run` restricted to those stages (and what they need).
#include <algorithm>
#include <omp.h>

#include <iostream>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "pipeline/commands/common.hpp"
#include "pipeline/orchestration/driver.hpp"
#include "pipeline/estimate.hpp"
#include "pipeline/orchestration/experiment_stages.hpp"
#include "pipeline/orchestration/learn_stages.hpp"
#include "pipeline/orchestration/sweep.hpp"

namespace slift::pipeline {
namespace {

struct RunFlags {
  CommonFlags common;
  DriverOptions driver;
  std::string dag;  // "", "text" or "dot"
};

void execute(const RunFlags& f, const std::vector<std::string>& fixed_targets) {
  apply_common(f.common);
  const LoadedRun loaded(f.common.config, f.common.overrides);
  const std::vector<Stage>& stages = loaded.stages;
  const std::string& run_dir = loaded.run_dir;
  const Experiment* single = loaded.single.get();
  if (!f.dag.empty()) {
    std::cout << describe_dag(stages, f.dag == "dot");
    return;
  }
  DriverOptions opt = f.driver;
  opt.targets.insert(opt.targets.end(), fixed_targets.begin(), fixed_targets.end());
  // A GPU asked for and missing is refused before simulate writes anything (unless only simulate runs).
  const bool learning = opt.targets.empty() || std::any_of(opt.targets.begin(), opt.targets.end(), [](const std::string& t) {
                          return t.size() < 8 || t.compare(t.size() - 8, 8, "simulate") != 0;
                        });
  if (!opt.dry_run && learning)
    for (const Experiment* e : loaded.experiments()) check_devices(*e);
  if (!opt.dry_run && mpi::launched_by_mpi()) mpi::ensure_initialized();  // so only rank 0 prints
  // Refused on rank 0 alone, before any stage runs: it prints one line and stops the other ranks.
  if (!opt.dry_run && learning && mpi::rank() == 0)
    for (const Experiment* e : loaded.experiments()) check_ranks(*e);
  log::info("slift run " + f.common.config + " -> " + run_dir + (opt.dry_run ? " (dry run)" : ""));
  if (single && !opt.dry_run) log::info("resolved config:\n" + single->config.resolved_yaml());
  if (single && opt.dry_run)
    for (const auto& line : describe_estimate(*single, omp_get_max_threads())) log::info("  " + line);
  int failed = run_stages(stages, run_dir, opt);
  if (failed > 0) runtime_error(std::to_string(failed) + " stage(s) failed");
}

void add_driver_command(CLI::App& app, const std::string& name, const std::string& what, const std::string& example,
                        std::vector<std::string> fixed_targets) {
  auto* cmd = app.add_subcommand(name, what);
  cmd->footer(example);
  auto* f = new RunFlags();  // lives as long as the program: CLI11 binds to it
  add_common(cmd, f->common);
  if (fixed_targets.empty())
    cmd->add_option("STAGE", f->driver.targets, "stages to bring up to date, with what they need (default: all)");
  cmd->add_flag("-n,--dry-run", f->driver.dry_run, "print each stage and why it would run, run nothing");
  cmd->add_flag("--force", f->driver.force, "rerun the selected stages even if up to date");
  cmd->add_flag("--force-downstream", f->driver.force_downstream, "with --force, also rerun everything downstream");
  cmd->add_flag("-k,--keep-going", f->driver.keep_going, "after a failure, go on with stages that do not need it");
  cmd->add_option("-j,--jobs", f->driver.jobs, "run up to N independent stages at once (logs in RUN_DIR/logs)")
      ->check(CLI::Range(1, 256));
  if (name == "run")
    cmd->add_option("--dag", f->dag, "print the stage graph (text or dot) and exit")
        ->check(CLI::IsMember({"text", "dot"}))
        ->expected(0, 1)
        ->default_str("text");
  cmd->callback([f, fixed_targets] { execute(*f, fixed_targets); });
}

}  // namespace

void add_run(CLI::App& app) {
  add_driver_command(app, "run", "run every stage that is out of date: simulate, train, sample, evaluate, report",
                     "Examples:\n"
                     "  slift run configs/duffing.yaml                    # everything, skipping what is up to date\n"
                     "  slift run configs/duffing.yaml --dry-run          # what would run, and why\n"
                     "  slift run configs/duffing.yaml train --force      # retrain, then update what depends on it\n"
                     "  slift run experiments/ardm-vs-sl/wave.yaml -j 2 --threads 1   # two trainings at once\n"
                     "  slift run configs/duffing.yaml --set train.label_dim=16\n"
                     "  slift run configs/duffing.yaml --dag dot > dag.dot   # Graphviz input (apt-get install graphviz)",
                     {});
}
void add_train(CLI::App& app) {
  add_driver_command(app, "train", "train the experiment's models (simulating first if needed)",
                     "Example:\n  slift train configs/duffing.yaml --threads 2", {"train"});
}
void add_sample(CLI::App& app) {
  add_driver_command(app, "sample", "roll out the trained models from the test set's initial states",
                     "Example:\n  slift sample configs/duffing.yaml --set sample.n_trajectories=5000", {"sample"});
}
void add_evaluate(CLI::App& app) {
  add_driver_command(app, "evaluate", "metrics against the test set and the floors, then the HTML report",
                     "Example:\n  slift evaluate configs/duffing.yaml && xdg-open runs/duffing/report/index.html",
                     {"evaluate", "report"});
}

}  // namespace slift::pipeline
