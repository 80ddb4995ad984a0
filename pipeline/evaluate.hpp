// The evaluate stage: metrics of every generated set against the test set, beside the two
// floors (sampling floor: a second ground-truth set against the test set; data floor: the
// training set against the test set), written to metrics.json (docs/metrics.md).
#pragma once
#include "pipeline/experiment.hpp"

namespace slift::pipeline {

void evaluate_stage(const Experiment& e);

}  // namespace slift::pipeline
