// Models out: a trained model as a TorchScript module that PyTorch loads with torch.jit.load and
// runs without slift (torch-free declaration; the plugin carries it, learner/plugin.hpp).
#pragma once
#include <string>

namespace slift::learner {

// Writes the model file's network, normalisation and label stream as a TorchScript module at
// out_path (atomically). Its methods, on float32 tensors (state_shape: (dim,) for states,
// the grid's sizes (n_1, ..., n_d) for fields):
//   forward(window b x window x state_shape, z b x label_dim, statics = None) -> b x state_shape
//       one step on raw states, as learner::step (z of width 0 for a label-free model);
//   labels(seed, first, n, draw) -> n x label_dim
//       the labels `slift sample` draws at step draw + 1 for trajectories first .. first + n - 1;
//   rollout(x0 b x state_shape, steps, seed, first = 0, statics = None) -> b x (steps + 1) x state_shape
//       trajectories first .. first + b - 1 of `slift sample` with that seed, x0 included.
// statics: for a model conditioned on static fields (attribute condition_on, their names), the
// raw fields of each trajectory, b x len(condition_on) x state_shape (as the data file stores
// them); None for a model without.
// An ARDM is refused (usage error): its sampler takes K network evaluations per frame.
void export_model(const std::string& model_path, const std::string& out_path);

}  // namespace slift::learner
