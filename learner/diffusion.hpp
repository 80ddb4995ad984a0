// The conditional DDPM of the ARDM baseline: cosine noise schedule, training targets and
// ancestral sampling with K steps. Network-agnostic: the sampler calls back a denoiser.
//
// Diffusion time s in [0, 1]; alpha_bar(s) = cos^2(pi/2 (s + 0.008) / 1.008) / cos^2(pi/2 0.008 / 1.008)
// (Nichol & Dhariwal), floored at kMinAlphaBar so that s = 1 stays invertible. Training draws
// s = i / train_steps with i uniform in 1..train_steps; sampling with K steps visits
// s = K/K, (K-1)/K, ..., 1/K on the same continuous schedule, so a model trained once is sampled
// with any K >= 1 (a linear beta schedule would break below ~10 steps).
// Prediction: `eps` (the noise) or `v` = sqrt(ab) eps - sqrt(1 - ab) x0 (default: stays well posed
// at s = 1, where an eps-model must divide by sqrt(ab) to recover x0).
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace slift::learner {

class Diffusion {
 public:
  static constexpr double kMinAlphaBar = 1e-4;
  Diffusion(std::string prediction, int64_t train_steps);

  static double alpha_bar(double s);
  // alpha_bar at s = k / K for k = 0..K (K + 1 values, from ~1 down to ~0).
  static std::vector<double> alpha_bars(int64_t K);

  // A training example from clean targets x0, integer steps (int64, values in 1..train_steps,
  // one per batch item; out of range: index_select's error) and standard normal noise eps of
  // x0's shape: the noisy input, the regression target and the diffusion time s of every item
  // (b, float), on x0's device.
  struct Example {
    torch::Tensor x_t, target, s;
  };
  Example training_example(const torch::Tensor& x0, const torch::Tensor& steps, const torch::Tensor& eps) const;

  // Ancestral sampling with K steps. denoise(x_t, s) returns the network's prediction (eps or
  // v) for a batch at diffusion time s (b, float); normal(like) returns standard normal noise of
  // like's shape (the caller owns the random stream). Starts from normal(shape_like).
  using Denoiser = std::function<torch::Tensor(const torch::Tensor& x_t, const torch::Tensor& s)>;
  using Normal = std::function<torch::Tensor(const torch::Tensor& like)>;
  torch::Tensor sample(const Denoiser& denoise, const torch::Tensor& shape_like, int64_t K, const Normal& normal) const;

  int64_t train_steps() const { return train_steps_; }
  const std::string& prediction() const { return prediction_; }

 private:
  std::string prediction_;
  int64_t train_steps_;
  mutable torch::Tensor table_;  // alpha_bars(train_steps) on the device of the last training example
};

// Sinusoidal embedding of diffusion times s (b) into b x dim (dim even), of 1000 s so that the
// frequencies resolve the training grid, as in DDPM; fed to the UNet as its conditioning.
torch::Tensor time_embedding(const torch::Tensor& s, int64_t dim);

}  // namespace slift::learner
