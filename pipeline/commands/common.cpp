#include "pipeline/commands/common.hpp"

#include <omp.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/machine.hpp"

namespace slift::pipeline {

void add_common(CLI::App* cmd, CommonFlags& f, bool config_required) {
  auto* opt = cmd->add_option("CONFIG", f.config, "experiment config (YAML), e.g. configs/duffing.yaml");
  if (config_required) opt->required();
  cmd->add_option("--set", f.overrides, "override a config value: --set train.iterations=500 (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);  // one value per --set, so STAGE arguments stay positional
  cmd->add_option("--threads", f.threads, "threads per process (default: all cores or OMP_NUM_THREADS)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("-q,--quiet", f.quiet, "print only errors");
  cmd->add_flag("-v,--verbose", f.verbose, "print more detail");
}

void apply_common(const CommonFlags& f) {
  if (f.quiet) log::set_level(log::Level::quiet);
  if (f.verbose) log::set_level(log::Level::verbose);
  // Thousands of threads crash the OpenMP runtime: a range from the machine, for both sources.
  const std::string range = "at most " + std::to_string(machine::max_threads()) + " on this machine's " +
                            std::to_string(machine::cores()) + " cores";
  if (f.threads > machine::max_threads()) usage_error("--threads " + std::to_string(f.threads) + ": " + range);
  if (f.threads > 0) omp_set_num_threads(f.threads);
  else if (omp_get_max_threads() > machine::max_threads())
    usage_error("OMP_NUM_THREADS=" + std::to_string(omp_get_max_threads()) + ": " + range);
}

LoadedRun::LoadedRun(const std::string& file, const std::vector<std::string>& overrides) {
  config::Config config = config::Config::load(file, overrides);  // read once: it may be a pipe
  if (is_sweep(config)) {
    sweep = load_sweep(config);
    stages = sweep_stages(sweep);
    run_dir = sweep.output_dir, name = sweep.name;
  } else {
    single = std::make_unique<Experiment>(load_experiment(config));
    stages = experiment_stages(*single);
    run_dir = single->output_dir, name = single->name;
  }
}

std::vector<const Experiment*> LoadedRun::experiments() const {
  if (single) return {single.get()};
  std::vector<const Experiment*> runs;
  for (const auto& r : sweep.runs) runs.push_back(r.get());
  return runs;
}

}  // namespace slift::pipeline
