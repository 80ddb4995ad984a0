#include "learner/diffusion.hpp"

#include <cmath>

#include "core/error.hpp"

namespace slift::learner {
namespace {

// Broadcast a per-item value (b) over the remaining axes of x.
torch::Tensor per_item(const torch::Tensor& v, const torch::Tensor& x) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = v.size(0);
  return v.to(x.dtype()).view(shape);
}

}  // namespace

Diffusion::Diffusion(std::string prediction, int64_t train_steps)
    : prediction_(std::move(prediction)), train_steps_(train_steps) {
  if (prediction_ != "eps" && prediction_ != "v") usage_error("ARDM prediction must be eps or v, got " + prediction_);
  if (train_steps_ < 1) usage_error("ARDM training steps must be >= 1");
}

double Diffusion::alpha_bar(double s) {
  const double o = 0.008, half_pi = M_PI / 2;
  double f = std::cos(half_pi * (s + o) / (1 + o)), f0 = std::cos(half_pi * o / (1 + o));
  return std::max(kMinAlphaBar, f * f / (f0 * f0));
}

std::vector<double> Diffusion::alpha_bars(int64_t K) {
  SLIFT_ASSERT(K >= 1, "at least one diffusion step");
  std::vector<double> ab(K + 1);
  for (int64_t k = 0; k <= K; ++k) ab[k] = alpha_bar(double(k) / K);
  return ab;
}

Diffusion::Example Diffusion::training_example(const torch::Tensor& x0, const torch::Tensor& steps,
                                               const torch::Tensor& eps) const {
  // The table of the same alpha_bar() the sampler uses, looked up per item on x0's device, where
  // it is copied once (not at every step: nothing here waits for the device or copies from the host).
  if (!table_.defined() || table_.device() != x0.device())
    table_ = torch::tensor(alpha_bars(train_steps_), torch::kFloat64).to(x0.device());
  const torch::Tensor idx = steps.to(x0.device(), torch::kLong);
  torch::Tensor ab = table_.index_select(0, idx);
  torch::Tensor s = idx.to(torch::kFloat32) / float(train_steps_);
  torch::Tensor a = per_item(ab.sqrt(), x0), b = per_item((1 - ab).sqrt(), x0);
  Example e;
  e.x_t = a * x0 + b * eps;
  e.target = prediction_ == "eps" ? eps : a * eps - b * x0;
  e.s = s;
  return e;
}

torch::Tensor Diffusion::sample(const Denoiser& denoise, const torch::Tensor& shape_like, int64_t K,
                                const Normal& normal) const {
  const std::vector<double> ab = alpha_bars(K);
  torch::Tensor x = normal(shape_like);
  const int64_t b = shape_like.size(0);
  for (int64_t k = K; k >= 1; --k) {
    torch::Tensor s = torch::full({b}, float(double(k) / K), shape_like.options().dtype(torch::kFloat32));
    torch::Tensor pred = denoise(x, s);
    const double a_t = std::sqrt(ab[k]), b_t = std::sqrt(1 - ab[k]);
    // Estimate of the clean target from the prediction.
    torch::Tensor x0 = prediction_ == "eps" ? (x - b_t * pred) / a_t : a_t * x - b_t * pred;
    // Posterior q(x_{k-1} | x_k, x0) of the DDPM between the two visited times.
    const double alpha = ab[k] / ab[k - 1], beta = 1 - alpha;
    const double c0 = std::sqrt(ab[k - 1]) * beta / (1 - ab[k]), ct = std::sqrt(alpha) * (1 - ab[k - 1]) / (1 - ab[k]);
    x = c0 * x0 + ct * x;
    if (k > 1) x = x + std::sqrt(beta * (1 - ab[k - 1]) / (1 - ab[k])) * normal(x);
  }
  return x;
}

torch::Tensor time_embedding(const torch::Tensor& s, int64_t dim) {
  if (dim < 2 || dim % 2) usage_error("time embedding dimension must be even, got " + std::to_string(dim));
  const int64_t half = dim / 2;
  torch::Tensor freq = torch::exp(-std::log(10000.0) * torch::arange(half, s.options().dtype(torch::kFloat32)) / half);
  torch::Tensor arg = 1000.0 * s.to(torch::kFloat32).unsqueeze(1) * freq.unsqueeze(0);
  return torch::cat({torch::sin(arg), torch::cos(arg)}, 1);
}

}  // namespace slift::learner
