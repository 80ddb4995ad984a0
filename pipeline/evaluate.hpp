// The evaluate stage: metrics of every generated set against the test set, beside the two
// floors (sampling floor: a second ground-truth set against the test set; data floor: the
// training set against the test set), written to metrics.json (docs/metrics.md).
#pragma once
#include <nlohmann/json.hpp>

#include "pipeline/experiment.hpp"
#include "pipeline/experiment_stages.hpp"

namespace slift::pipeline {

void evaluate_stage(const Experiment& e);

// What training and sampling recorded for one generated set, to stand beside its metrics: the
// model's final training loss and label-gradient norm, the set's seconds per trajectory and its
// network evaluations per step, under `nfe_key` ("nfe_per_step"; fields: "nfe_per_frame").
nlohmann::json recorded_facts(const Experiment& e, const SampleSet& set, const std::string& nfe_key);

}  // namespace slift::pipeline
