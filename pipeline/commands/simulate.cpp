// slift simulate: run the solver of an experiment and write its data sets.
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "pipeline/commands/common.hpp"
#include "pipeline/experiment.hpp"
#include "pipeline/orchestration/driver.hpp"
#include "pipeline/orchestration/experiment_stages.hpp"

namespace slift::pipeline {

void add_simulate(CLI::App& app) {
  auto* cmd = app.add_subcommand("simulate", "run the solver and write HDF5 data sets");
  cmd->footer(
      "Examples:\n"
      "  slift simulate configs/duffing.yaml                     # train, test and floor sets under output_dir/data\n"
      "  mpirun -np 4 slift simulate configs/wave.yaml --split test --out test.h5\n"
      "A killed run leaves <file>.partial and resumes from its last block when rerun.");
  static CommonFlags flags;
  static std::string out, split;
  static bool force = false;
  add_common(cmd, flags);
  cmd->add_option("--out", out, "write one data set to this file (default: all splits under output_dir/data/)");
  cmd->add_flag("--force", force, "let --out replace an existing file");
  cmd->add_option("--split", split, "which data set: train, test or floor (default: all; train with --out)")
      ->check(CLI::IsMember(kSplits));
  cmd->callback([] {
    apply_common(flags);
    Experiment e = load_experiment(flags.config, flags.overrides);  // all checks before any write
    if (!out.empty()) check_output("--out", out, {{flags.config, "the config file"}}, force);
    log::info("resolved config:\n" + e.config.resolved_yaml());
    if (!out.empty() || !split.empty()) {
      simulate_split(e, split.empty() ? "train" : split, out.empty() ? data_path(e, split) : out);
      return;
    }
    // All splits: the pipeline's simulate stage, so that `slift run` knows they are up to date.
    DriverOptions opt;
    opt.targets = {"simulate"};
    if (run_stages(experiment_stages(e), e.output_dir, opt) > 0) runtime_error("simulate failed");
  });
}

}  // namespace slift::pipeline
