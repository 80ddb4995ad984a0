// Sampling's steps (learner::Stepper) draw every row's noise for a step at once, before the step,
// on the host's threads: the same numbers, in the same order, as drawing each label or each of
// the ARDM's K noises from the rows' streams when the model reads it. Bit for bit, against that
// reference written out here, for SL (labels) and the ARDM (K = 3), at one and two threads.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/rng.hpp"
#include "learner/diffusion.hpp"
#include "learner/models.hpp"
#include "field_model.hpp"

namespace slift::learner {
namespace {

LoadedModel tiny(const std::string& model) {
  LoadedModel m = field_model(model);
  m.spec.periodic = {true, true};
  torch::manual_seed(5);
  m.net = Net(m.spec);
  m.net.module()->eval();
  return m;
}

std::vector<Rng> streams(int64_t n) {
  std::vector<Rng> rngs;
  for (int64_t r = 0; r < n; ++r) rngs.emplace_back(9, static_cast<uint64_t>(r), "learner.sample");
  return rngs;
}

// The step as sampling computed it before: each draw from the streams when the model reads it.
torch::Tensor reference_step(LoadedModel& m, int64_t K, const torch::Tensor& windows, std::vector<Rng>& rngs) {
  const auto x = normalise_windows(m.spec, m.norm, windows);
  torch::Tensor increment;
  if (K == 0) {
    increment = m.net.forward(x, draw_normals(rngs, m.spec.label_dim()));
  } else {
    const Diffusion diffusion(m.spec.options.ardm_prediction, m.spec.options.ardm_train_steps);
    increment = diffusion.sample(
        [&](const torch::Tensor& xt, const torch::Tensor& s) {
          return m.net.forward(torch::cat({x, xt}, 1), time_embedding(s, m.spec.options.embed_dim));
        },
        torch::zeros({x.size(0), m.spec.dim}), K, [&](const torch::Tensor& like) { return draw_normals(rngs, like.size(1)); });
  }
  return prediction_base(m.spec, windows) + increment * to_tensor(m.norm.out_scale, {m.spec.dim});
}

TEST(Stepper, DrawsAStepsNoiseUpFrontWithTheSameNumbers) {
  c10::InferenceMode inference;
  for (const auto& [model, K] : {std::pair<std::string, int64_t>{"sl", 0}, {"ardm", 3}}) {
    SCOPED_TRACE(model);
    LoadedModel m = tiny(model);
    const auto sampler = model_for_sampling(m.spec, 1, K, "test");
    const Stepper stepper(m, *sampler, torch::kCPU);
    const auto windows = torch::randn({3, m.spec.window() * m.spec.dim});
    const int was = at::get_num_threads();
    for (int threads : {1, 2}) {
      at::set_num_threads(threads);  // the network's sums may depend on it; the draws may not
      auto ref_rngs = streams(3);
      const auto expected = reference_step(m, K, windows, ref_rngs);
      auto rngs = streams(3);
      const auto noise = stepper.draw(rngs);
      EXPECT_EQ(noise.size(1), K == 0 ? m.spec.label_dim() : K * m.spec.dim);
      EXPECT_TRUE(torch::equal(stepper(windows, noise), expected)) << threads << " threads";
      EXPECT_EQ(rngs[2].position(), ref_rngs[2].position()) << "the streams advance alike";
    }
    at::set_num_threads(was);
  }
}

}  // namespace
}  // namespace slift::learner
