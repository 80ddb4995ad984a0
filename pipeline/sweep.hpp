// Experiment sweeps (experiments/*.yaml): a base config, overrides for every run, and a grid of
// overrides expanded into one run per point. All runs go into one DAG under the sweep's
// directory; runs whose simulate parameters agree share one simulate stage and its data. A
// final `summary` stage tabulates and plots chosen metrics across the sweep.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "pipeline/experiment.hpp"
#include "pipeline/stage.hpp"

namespace slift::pipeline {

struct Sweep {
  std::string name, output_dir, file;
  std::string x_key;                        // the grid key the summary plots against
  std::string model = "sl";                 // the metrics.json object the summary reads; "all": every set
  std::vector<std::string> metrics;         // keys of that object
  std::vector<std::string> run_ids;         // e.g. "label_dim=4"
  std::vector<std::string> x_values;        // the x_key value of each run (YAML text)
  std::vector<std::unique_ptr<Experiment>> runs;
};

// True when the file is a sweep (it has a `grid`), not a single experiment.
bool is_sweep_file(const std::string& file);
// Loads the sweep and every run's experiment; all config checks happen here, before any work.
Sweep load_sweep(const std::string& file, const std::vector<std::string>& overrides);
std::vector<Stage> sweep_stages(const Sweep& sweep);

}  // namespace slift::pipeline
