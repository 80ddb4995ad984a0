// The models the learner trains (one class per row of model_kinds()), behind one interface:
// the regression of a training minibatch and one generated step. Training (train.cpp), sampling
// and the probes (sample.cpp) know no model by name.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "core/rng.hpp"
#include "learner/model.hpp"

namespace slift::learner {

// Training transitions, as the network sees them.
struct Minibatch {
  torch::Tensor x;       // normalised windows, b x (window x dim), oldest frame first
  torch::Tensor y;       // normalised increments to the next state (what the output predicts), b x dim
  torch::Tensor labels;  // the transitions' fixed labels z, b x label_dim (undefined without labels)
  // Data-parallel training: these are rows [first, first + b) of a global batch of `global` rows
  // (0: b), and per-row random draws are made for the whole global batch and sliced, so that they
  // do not depend on the rank count.
  int64_t first = 0, global = 0;
};

// What the network regresses on: its input, its conditioning (undefined: none) and the target.
struct Regression {
  torch::Tensor input, cond, target;
};

class Model {
 public:
  virtual ~Model() = default;
  // The regression of a training minibatch at optimizer step `step`, a 0-d int64 tensor on the
  // batch's device. Random draws are keyed by the step, so that a resumed run draws exactly what an
  // uninterrupted one does, and made on the device from the tensor's value, so that the replays of
  // a CUDA graph that counts it up draw for their own steps.
  virtual Regression regression(const Minibatch& b, const torch::Tensor& step) const = 0;
  // Standard normals one generated step reads per row (labels, the ARDM's K noises; 0: none).
  virtual int64_t normals_per_step() const { return 0; }
  // One generated step: normalised increments from normalised windows x (b rows), row r reading
  // row r of `noise` (b x normals_per_step(), drawn from that row's own stream, so that results
  // do not depend on batching) in order.
  virtual torch::Tensor increment(Net& net, const torch::Tensor& x, const torch::Tensor& noise) const = 0;
  // Network evaluations per generated step.
  virtual int64_t evaluations() const { return 1; }
};

// The model of a spec, trained with `seed`.
std::unique_ptr<Model> model_for_training(const ModelSpec& spec, uint64_t seed);
// The model of a spec for sampling: an ARDM with diffusion_steps K >= 1, the one-step models with
// 0 (anything else is refused in one line naming `source`).
std::unique_ptr<Model> model_for_sampling(const ModelSpec& spec, uint64_t seed, int64_t diffusion_steps,
                                          const std::string& source);

// The regression loss (mean squared error) of a minibatch; the network's forward under the
// execution's autocast. `target` is kept for the mean-predictor baseline.
struct Loss {
  torch::Tensor value, target;
};
Loss regression_loss(const Model& model, Net& net, const Minibatch& b, const torch::Tensor& step, const Execution& exec);
// The same at a step given on the host.
Loss regression_loss(const Model& model, Net& net, const Minibatch& b, int64_t step, const Execution& exec);

// One AdamW update at the optimizer's learning rate: LibTorch's fused kernel (one launch for all
// parameters instead of about nine per tensor) where `fused` and fused_adamw_available(), else
// torch::optim::AdamW's step. Both keep the same state in `opt` (checkpoints save it alike);
// amsgrad is not used.
void adamw_step(torch::optim::AdamW& opt, bool fused);
bool fused_adamw_available();  // LibTorch 2.4 and later

// Generated steps of a loaded model on a device. Its normalisation goes there once, so that a
// step copies nothing from the host but, on a GPU, its streams' keys and positions (draw_normals).
class Stepper {
 public:
  Stepper(LoadedModel& m, const Model& model, const torch::Device& device);
  // The noise of one step: row r's normals_per_step() normals from rngs[r], on the device.
  torch::Tensor draw(std::vector<Rng>& rngs) const;
  // One step on raw windows (b x window x dim, flattened), reading `noise` (from draw): the next raw states.
  torch::Tensor operator()(const torch::Tensor& windows, const torch::Tensor& noise) const;
  // The same for a model conditioned on static fields: `statics`, row r the normalised static
  // channels of rollout r (static_channels; undefined for a model without).
  torch::Tensor operator()(const torch::Tensor& windows, const torch::Tensor& noise, const torch::Tensor& statics) const;
  const Model& model() const { return model_; }

 private:
  LoadedModel& m_;
  const Model& model_;
  torch::Device device_;
  torch::Tensor in_mean_, in_std_, out_scale_;  // repeated over the window (inputs), per component (outputs)
};

// One generated step on raw windows (b x window x dim, flattened), row r drawing from rngs[r]: the next raw states.
torch::Tensor step(LoadedModel& m, const Model& model, const torch::Tensor& windows, std::vector<Rng>& rngs);

// n x d standard normals, row r the next d of rngs[r] (labels, the ARDM's noise, probes), on
// `device`; the streams advance past them. A GPU draws them itself (learner/tensor_rng.hpp: the
// same numbers, nothing on the host but one small copy of the streams' keys and positions); the
// CPU runs Rng::normal on its threads over the rows, which is faster there than the tensor ops.
torch::Tensor draw_normals(std::vector<Rng>& rngs, int64_t d, const torch::Device& device = torch::kCPU);

}  // namespace slift::learner
