// Experiment sweeps (experiments/*.yaml): a base config, overrides for every run, and a grid of
// overrides expanded into one run per point. All runs go into one DAG under the sweep's
// directory; runs whose simulate parameters agree share one simulate stage and its data. A
// final `summary` stage tabulates and plots chosen metrics across the sweep.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "pipeline/analysis/summary.hpp"
#include "pipeline/experiment.hpp"
#include "pipeline/orchestration/experiment_stages.hpp"
#include "pipeline/orchestration/stage.hpp"

namespace slift::pipeline {

struct Sweep : SweepRuns {
  // Each run as loaded, its data directory (Experiment::data_dir) already the one it shares, and
  // where its stages sit in the sweep's DAG.
  std::vector<std::unique_ptr<const Experiment>> runs;
  std::vector<StageLayout> layouts;
};

// True when the config is a sweep (it has a `grid`), not a single experiment.
bool is_sweep(config::Config& config);
// Loads the sweep and every run's experiment; all config checks happen here, before any work.
Sweep load_sweep(const std::string& file, const std::vector<std::string>& overrides);
Sweep load_sweep(config::Config config);  // from a config already read (overrides applied)
std::vector<Stage> sweep_stages(const Sweep& sweep);

}  // namespace slift::pipeline
