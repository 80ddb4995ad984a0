// The evaluate stage: metrics of every generated set against the test set, beside the two
// floors (sampling floor: a second ground-truth set against the test set; data floor: the
// training set against the test set), written to metrics.json (docs/metrics.md).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/analysis/records.hpp"
#include "pipeline/experiment.hpp"

namespace slift::pipeline {

void evaluate_stage(const Experiment& e);

// The data kinds' common frame (evaluate_states.cpp, evaluate_fields.cpp), after each has
// compared its floors: every generated set compared by `compare` (its metrics, n_generated
// included) beside what its training and sampling recorded (the network evaluations per step under
// `nfe_key`), one log line each with its `headline` metrics; then the interpolation ratio and the
// throughput.
struct SetEvaluation {
  std::string nfe_key;
  std::vector<std::string> headline;
  std::function<nlohmann::json(const SampleSet&)> compare;
};
void evaluate_sets(const Experiment& e, RunMetrics& m, const SetEvaluation& how);

}  // namespace slift::pipeline
