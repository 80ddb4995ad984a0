// The DAG of an experiment, built from its config: simulate -> train:<model> ->
// sample:<model> -> evaluate -> report. Paths are relative to the run directory (output_dir):
//   data/{train,test,floor}.h5   models/<model>.pt, models/<model>.json (training summary)
//   data/simulate.json (solver timing)   samples/<name>.h5   metrics.json   report/index.html
#pragma once
#include <string>
#include <vector>

#include "pipeline/experiment.hpp"
#include "pipeline/orchestration/stage.hpp"
#include "simulators/ensemble.hpp"

namespace slift::pipeline {

// Where the stages of one experiment sit in the driver's run directory. A single run uses the
// defaults; a sweep puts each run under its own prefix and shares one simulate stage (and its
// data directory) among the runs whose simulate parameters agree.
struct StageLayout {
  std::string run_prefix;                // prefix of run-specific paths and stage names, e.g. "label_dim=4/"
  std::string data_rel = "data";         // the data directory, relative to the run directory
  std::string simulate_name = "simulate";
};

std::vector<Stage> experiment_stages(const Experiment& e, const StageLayout& layout = {});

// Writes one data split; used by the simulate stage and by `slift simulate --out`. Returns the
// wall time and the number of trajectories it computed (not resumed).
sim::EnsembleStats simulate_split(const Experiment& e, const std::string& split, const std::string& path);

}  // namespace slift::pipeline
