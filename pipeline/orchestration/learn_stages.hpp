// The stages that need the learner, loaded as a plugin on first use (pipeline/learner_plugin.hpp);
// in a build without LibTorch they refuse with a clear error.
#pragma once
#include "pipeline/experiment.hpp"

namespace slift::pipeline {

void train_stage(const Experiment& e, const std::string& model);  // models/<model>.{pt,json}
void sample_stage(const Experiment& e, const SampleSet& set);      // samples/<name>.h5 (+ .json)
// `device: cuda` (train or sample) where LibTorch sees no usable GPU: a usage error naming the key,
// before any stage runs (loads the learner only when a device is cuda).
void check_devices(const Experiment& e);

}  // namespace slift::pipeline
