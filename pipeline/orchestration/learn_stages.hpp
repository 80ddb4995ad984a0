// The stages that need the learner, loaded as a plugin on first use (pipeline/learner_plugin.hpp);
// in a build without LibTorch they refuse with a clear error.
#pragma once
#include "pipeline/experiment.hpp"

namespace slift::pipeline {

void train_stage(const Experiment& e, const std::string& model);  // models/<model>.{pt,json}
// The ranks of a training `slift run` starts for train.ranks > 1 (`slift train-ranks`, hidden):
// trains `model` with the train section of the resolved config file; rank 0 writes the model to
// <prefix>.pt and the training's result to <prefix>.ranks.json (checkpoint: <prefix>.ckpt).
void train_ranks_worker(const std::string& config_file, const std::string& model, const std::string& train_data,
                        uint64_t seed, const std::string& prefix);
void sample_stage(const Experiment& e, const SampleSet& set);      // samples/<name>.h5 (+ .json)
// `device: cuda` (train or sample) where LibTorch sees no usable GPU: a usage error naming the key,
// before any stage runs (loads the learner only when a device is cuda).
void check_devices(const Experiment& e);
// Under a launcher of several ranks (a data-parallel training): train.batch_size splits evenly over
// them and train.ranks, if set, is their count; a usage error naming the key otherwise.
void check_ranks(const Experiment& e);

}  // namespace slift::pipeline
