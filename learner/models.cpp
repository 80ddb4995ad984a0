#include "learner/models.hpp"

#include <ATen/Parallel.h>

#include "core/error.hpp"
#include "learner/diffusion.hpp"
#include "learner/static_channels.hpp"
#include "learner/tensor_rng.hpp"

namespace slift::learner {

namespace {

// Stochastic Lifting: every training transition carries a fixed Gaussian label z, and the
// network regresses the increment on (window, z); a generated step draws a fresh z.
class StochasticLifting : public Model {
 public:
  explicit StochasticLifting(int64_t label_dim) : label_dim_(label_dim) {}
  Regression regression(const Minibatch& b, const torch::Tensor&) const override { return {b.x, b.labels, b.y}; }
  int64_t normals_per_step() const override { return label_dim_; }
  torch::Tensor increment(Net& net, const torch::Tensor& x, const torch::Tensor& noise) const override {
    return net.forward(x, noise);
  }

 private:
  int64_t label_dim_;
};

// The label-free baseline: the same regression without a label, so it learns the conditional
// mean (and collapses a spread of outcomes to it).
class Deterministic : public Model {
 public:
  Regression regression(const Minibatch& b, const torch::Tensor&) const override { return {b.x, {}, b.y}; }
  torch::Tensor increment(Net& net, const torch::Tensor& x, const torch::Tensor&) const override {
    return net.forward(x, {});
  }
};

// The autoregressive diffusion baseline (ARDM): a conditional DDPM over the normalised
// increment, the noisy increment as one more input channel and the diffusion time as the
// conditioning; sampled with K network evaluations per step.
class Ardm : public Model {
 public:
  Ardm(const ModelSpec& spec, uint64_t seed, int64_t steps)
      : diffusion_(spec.options.ardm_prediction, spec.options.ardm_train_steps),
        dim_(spec.dim),
        embed_dim_(spec.options.embed_dim),
        times_key_(Rng::key(seed, purpose_id("learner.ardm_times"))),
        noise_key_(Rng::key(seed, purpose_id("learner.ardm_noise"))),
        steps_(steps) {}

  // Row i of the global batch at step s: its diffusion time 1 + below(train_steps) of block i of
  // stream s of (seed, "learner.ardm_times"), its noise the normals of blocks i dim .. (i + 1) dim - 1
  // of stream s of (seed, "learner.ardm_noise"), as Rng(seed, s, purpose) draws them. Drawn on the
  // step's device (tensor_rng.hpp: the same numbers on every device), for the whole global batch
  // and sliced, so that every rank computes every value alike whatever its share.
  Regression regression(const Minibatch& b, const torch::Tensor& step) const override {
    const int64_t n = b.y.size(0), global = b.global > 0 ? b.global : n;
    const auto row = torch::arange(global, step.options());
    const auto times = below(philox(times_key_, row, step), diffusion_.train_steps()).add_(1);
    const auto eps = normal(philox(noise_key_, row.unsqueeze(1) * dim_ + torch::arange(dim_, row.options()), step));
    const auto ex = diffusion_.training_example(b.y, times.slice(0, b.first, b.first + n), eps.slice(0, b.first, b.first + n));
    return {torch::cat({b.x, ex.x_t}, 1), time_embedding(ex.s, embed_dim_), ex.target};
  }

  // K-step ancestral sampling of the increment: K draws of dim normals per row, the start first.
  // Everything is on the device: the K steps queue kernels and wait for nothing.
  int64_t normals_per_step() const override { return steps_ * dim_; }
  torch::Tensor increment(Net& net, const torch::Tensor& x, const torch::Tensor& noise) const override {
    int64_t used = 0;
    return diffusion_.sample(
        [&](const torch::Tensor& xt, const torch::Tensor& s) {
          return net.forward(torch::cat({x, xt}, 1), time_embedding(s, embed_dim_));
        },
        torch::zeros({x.size(0), dim_}, x.options()), steps_,
        [&](const torch::Tensor& like) {
          const int64_t begin = used;
          used += like.size(1);
          return noise.slice(1, begin, used);
        });
  }
  int64_t evaluations() const override { return steps_; }

 private:
  Diffusion diffusion_;
  int64_t dim_, embed_dim_;
  PhiloxKey times_key_, noise_key_;
  int64_t steps_;
};

}  // namespace

namespace {

// The one registry of implementations: a row of model_kinds() -> its class.
std::unique_ptr<Model> make_model(const ModelSpec& spec, uint64_t seed, int64_t diffusion_steps) {
  const ModelKind& kind = spec.kind();
  if (kind.diffusion) return std::make_unique<Ardm>(spec, seed, diffusion_steps);
  if (kind.labels) return std::make_unique<StochasticLifting>(spec.label_dim());
  return std::make_unique<Deterministic>();
}

}  // namespace

std::unique_ptr<Model> model_for_training(const ModelSpec& spec, uint64_t seed) { return make_model(spec, seed, 0); }

std::unique_ptr<Model> model_for_sampling(const ModelSpec& spec, uint64_t seed, int64_t diffusion_steps,
                                          const std::string& source) {
  const bool diffusion = spec.kind().diffusion;
  if (diffusion && diffusion_steps < 1) usage_error(source + ": an ARDM needs the number of diffusion steps K >= 1");
  if (!diffusion && diffusion_steps != 0) usage_error(source + ": diffusion steps given for a one-step model");
  return make_model(spec, seed, diffusion_steps);
}

Loss regression_loss(const Model& model, Net& net, const Minibatch& b, int64_t step, const Execution& exec) {
  return regression_loss(model, net, b, torch::full({}, step, b.y.options().dtype(torch::kInt64)), exec);
}

Loss regression_loss(const Model& model, Net& net, const Minibatch& b, const torch::Tensor& step, const Execution& exec) {
  const Regression r = model.regression(b, step);
  const auto prediction = [&] {
    Autocast autocast(exec);
    return net.forward(r.input, r.cond);
  }();
  return {torch::mse_loss(prediction, r.target), r.target};
}

Stepper::Stepper(LoadedModel& m, const Model& model, const torch::Device& device)
    : m_(m), model_(model), device_(device),
      in_mean_(to_tensor(m.norm.in_mean, {m.spec.dim}).to(device).repeat({m.spec.window()})),
      in_std_(to_tensor(m.norm.in_std, {m.spec.dim}).to(device).repeat({m.spec.window()})),
      out_scale_(to_tensor(m.norm.out_scale, {m.spec.dim}).to(device)) {}

torch::Tensor Stepper::draw(std::vector<Rng>& rngs) const { return draw_normals(rngs, model_.normals_per_step(), device_); }

torch::Tensor Stepper::operator()(const torch::Tensor& windows, const torch::Tensor& noise) const {
  return (*this)(windows, noise, {});
}

torch::Tensor Stepper::operator()(const torch::Tensor& windows, const torch::Tensor& noise, const torch::Tensor& statics) const {
  const auto x = with_static_channels((windows - in_mean_) / in_std_, statics);  // normalise_windows, with the device's copies
  return prediction_base(m_.spec, windows) + model_.increment(m_.net, x, noise) * out_scale_;
}

torch::Tensor step(LoadedModel& m, const Model& model, const torch::Tensor& windows, std::vector<Rng>& rngs) {
  const Stepper stepper(m, model, windows.device());
  return stepper(windows, stepper.draw(rngs));
}

torch::Tensor draw_normals(std::vector<Rng>& rngs, int64_t d, const torch::Device& device) {
  if (!device.is_cpu()) return normals(rngs, d, device);
  // The host's loop beats the ~130 tensor passes of the Philox rounds on the CPU: 0.02 against
  // 0.19 ms for 8 rows of 64, 107 against 527 ms for 64 rows of 40960 (one thread).
  const auto n = static_cast<int64_t>(rngs.size());
  auto z = torch::empty({n, d}, torch::kFloat32);
  float* const values = z.data_ptr<float>();
  // Rows are independent streams: any split over threads draws the same numbers. At least
  // ~32k normals per task (an ARDM-40 row of a 128^2 field is 655k, an SL row 64).
  at::parallel_for(0, n, std::max<int64_t>(1, 32768 / std::max<int64_t>(d, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      for (int64_t j = 0; j < d; ++j) values[r * d + j] = static_cast<float>(rngs[r].normal());
  });
  return z;
}

}  // namespace slift::learner
