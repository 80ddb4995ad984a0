// slift simulate: run the solver of an experiment and write its data sets.
#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "pipeline/commands/common.hpp"
#include "pipeline/experiment.hpp"
#include "simulators/ensemble.hpp"

namespace slift::pipeline {

void simulate_split(const Experiment& e, const std::string& split, const std::string& path) {
  sim::EnsembleOptions o;
  o.n_traj = static_cast<uint64_t>(split_size(e, split));
  o.seed = split_seed(e.seed, split);
  o.block = static_cast<uint64_t>(e.simulate.block);
  o.compress = e.simulate.compress;
  o.config_yaml = e.config.resolved_yaml();
  o.params_hash = sha256(config::canonical(e.simulate_params) + "|seed=" + std::to_string(o.seed) +
                         "|n=" + std::to_string(o.n_traj));
  o.label = "simulate " + split;
  sim::EnsembleStats st = sim::run_ensemble(*e.system, o, path);
  log::info("wrote " + path + ": " + std::to_string(o.n_traj) + " trajectories (" + std::to_string(st.computed) +
            " computed) in " + log::format_duration(st.seconds) + " on " + std::to_string(mpi::size()) + " rank(s)");
}

void add_simulate(CLI::App& app) {
  auto* cmd = app.add_subcommand("simulate", "run the solver and write HDF5 data sets");
  cmd->footer(
      "Examples:\n"
      "  slift simulate configs/duffing.yaml                     # train, test and floor sets under output_dir/data\n"
      "  mpirun -np 4 slift simulate configs/wave.yaml --split test --out test.h5\n"
      "A killed run leaves <file>.partial and resumes from its last block when rerun.");
  static CommonFlags flags;
  static std::string out, split;
  add_common(cmd, flags);
  cmd->add_option("--out", out, "write one data set to this file (default: all splits under output_dir/data/)");
  cmd->add_option("--split", split, "which data set: train, test or floor (default: all; train with --out)")
      ->check(CLI::IsMember(kSplits));
  cmd->callback([] {
    apply_common(flags);
    Experiment e = load_experiment(flags.config, flags.overrides);  // all checks before any write
    mpi::ensure_initialized();
    log::detail("resolved config:\n" + e.config.resolved_yaml());
    if (!out.empty()) {
      simulate_split(e, split.empty() ? "train" : split, out);
      return;
    }
    for (const auto& s : kSplits)
      if (split.empty() || split == s) simulate_split(e, s, data_path(e, s));
  });
}

}  // namespace slift::pipeline
