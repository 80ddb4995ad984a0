// The DAG of an experiment, built from its config: simulate -> train:<model> ->
// sample:<model> -> evaluate -> report. Paths are relative to the run directory (output_dir):
//   data/{train,test,floor}.h5   models/<model>.pt, models/<model>.json (training summary)
//   samples/<name>.h5            metrics.json            report/index.html
#pragma once
#include <string>
#include <vector>

#include "pipeline/experiment.hpp"
#include "pipeline/stage.hpp"

namespace slift::pipeline {

// Generated sets: one per model, ARDM once per sampling step count ("ardm_k40").
struct SampleSet {
  std::string name, model;
  int64_t ardm_steps = 0;
};
std::vector<SampleSet> sample_sets(const Experiment& e);

std::vector<Stage> experiment_stages(const Experiment& e);

// Writes one data split; used by the simulate stage and by `slift simulate --out`.
void simulate_split(const Experiment& e, const std::string& split, const std::string& path);

}  // namespace slift::pipeline
