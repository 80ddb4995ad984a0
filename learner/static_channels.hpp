// The static fields a model is conditioned on (data.condition_on) as input channels of its
// network, after the Markov window: normalised with the training file's statistics, which the
// model file stores beside the fields' names, so that sampling, the probes and `slift export`
// feed them as training did.
#pragma once
#include <torch/torch.h>

#include <string>

#include "learner/model.hpp"

namespace slift::learner {

// Reads the model's static fields from the training file `path` (trajectories `data`), fits
// m.static_norm to them and returns them normalised: n_traj x (fields x dim) on `device`;
// undefined when the model is conditioned on none.
torch::Tensor fit_static_channels(LoadedModel& m, const std::string& path, const Trajectories& data,
                                  const torch::Device& device);
// The same from another file of the model's data (the test set a rollout continues), normalised
// as in training.
torch::Tensor static_channels(const LoadedModel& m, const DatasetReader& reader, const std::string& path,
                              const Trajectories& data, const torch::Device& device);

// The network's input: normalised windows x (b rows) with `channels` (b rows of static channels;
// undefined: none) appended.
torch::Tensor with_static_channels(const torch::Tensor& x, const torch::Tensor& channels);

// The model file's record of the conditioning (names, means, stds); nothing for a model without.
void write_conditioning(torch::serialize::OutputArchive& a, const LoadedModel& m);
void read_conditioning(torch::serialize::InputArchive& a, LoadedModel& m);

}  // namespace slift::learner
