// The learner's faster layers against LibTorch's reference ops, values and gradients:
// learner::linear (oneDNN inner product) vs nn::functional::linear, the UNet's wrap-around
// convolution vs Conv2d's circular padding mode, and its stem's constant label channels vs
// convolving them (on 1-3 spatial axes). Explicit tolerances: float32 sums in another order.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "learner/model.hpp"
#include "learner/unet.hpp"

namespace slift::learner {
namespace {

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(Layers, OneDnnLinearMatchesLinearWithGradients) {
  torch::manual_seed(3);
  for (int64_t batch : {1, 7, 512}) {
    auto x = torch::randn({batch, 66}, torch::requires_grad());
    auto w = torch::randn({256, 66}, torch::requires_grad()), b = torch::randn({256}, torch::requires_grad());
    auto x2 = x.detach().clone().requires_grad_(), w2 = w.detach().clone().requires_grad_(),
         b2 = b.detach().clone().requires_grad_();
    const auto y = linear(x, w, b), ref = torch::nn::functional::linear(x2, w2, b2);
    ASSERT_EQ(y.sizes(), ref.sizes());
    EXPECT_FALSE(y.is_mkldnn()) << "dense out, like the input";
    EXPECT_LT(max_diff(y, ref), 1e-4) << "batch " << batch;
    const auto g = torch::randn_like(ref);
    (y * g).sum().backward();
    (ref * g).sum().backward();
    EXPECT_LT(max_diff(x.grad(), x2.grad()), 1e-4) << "batch " << batch;
    EXPECT_LT(max_diff(w.grad(), w2.grad()), 1e-3 * std::sqrt(static_cast<double>(batch))) << "batch " << batch;
    EXPECT_LT(max_diff(b.grad(), b2.grad()), 1e-3 * std::sqrt(static_cast<double>(batch))) << "batch " << batch;
  }
}

TEST(Layers, WrapAroundConvolutionMatchesCircularPaddingWithGradients) {
  torch::manual_seed(4);
  for (int64_t stride : {1, 2}) {
    Conv ours(5, 8, 3, stride, std::vector<bool>{true, true});
    torch::nn::Conv2d ref(torch::nn::Conv2dOptions(5, 8, 3).stride(stride).padding(1).padding_mode(torch::kCircular));
    {
      torch::NoGradGuard no_grad;
      ref->weight.copy_(ours->weight);
      ref->bias.copy_(ours->bias);
    }
    auto x = torch::randn({3, 5, 8, 12}, torch::requires_grad());
    auto x2 = x.detach().clone().requires_grad_();
    const auto y = ours(x), r = ref(x2);
    ASSERT_EQ(y.sizes(), r.sizes()) << "stride " << stride;
    EXPECT_LT(max_diff(y, r), 1e-5) << "stride " << stride;
    const auto g = torch::randn_like(r);
    (y * g).sum().backward();
    (r * g).sum().backward();
    EXPECT_LT(max_diff(x.grad(), x2.grad()), 1e-5) << "stride " << stride;
    EXPECT_LT(max_diff(ours->weight.grad(), ref->weight.grad()), 1e-4) << "stride " << stride;
  }
}

TEST(Layers, PeriodicUNetCommutesWithShiftsOfTheCoarsestCell) {
  torch::manual_seed(5);
  UNetSpec spec;
  spec.in_channels = 2;
  spec.widths = {8, 16, 16};
  spec.cond_dim = 4;
  spec.embed_dim = 16;
  spec.periodic = {true, true};
  UNet net(spec);
  const auto x = torch::randn({2, 2, 16, 16}), z = torch::randn({2, 4});
  const int64_t s = spec.grid_multiple();  // shifts that the stride-2 levels see as whole cells
  const auto shifted = net->forward(torch::roll(x, {s, 2 * s}, {2, 3}), z);
  EXPECT_LT(max_diff(shifted, torch::roll(net->forward(x, z), {s, 2 * s}, {2, 3})), 1e-5);
  spec.periodic = {false, false};  // walls: the edges are not seamless, so the same shift changes the output
  UNet walls(spec);
  EXPECT_GT(max_diff(walls->forward(torch::roll(x, {s, 2 * s}, {2, 3}), z), torch::roll(walls->forward(x, z), {s, 2 * s}, {2, 3})),
            1e-3);
}

TEST(Layers, ConstantChannelsMatchConvolvingTheBroadcastChannels) {
  torch::manual_seed(5);
  for (const std::vector<int64_t>& grid : {std::vector<int64_t>{8, 12}, {10}, {4, 6, 4}})
    for (bool periodic : {true, false}) {
      const std::string what = std::to_string(grid.size()) + "-D " + (periodic ? "periodic" : "walls");
      Conv conv(3 + 6, 8, 3, 1, std::vector<bool>(grid.size(), periodic));
      std::vector<int64_t> shape{4, 3}, constant{4, 6};
      shape.insert(shape.end(), grid.begin(), grid.end());
      constant.insert(constant.end(), grid.begin(), grid.end());
      auto x = torch::randn(shape, torch::requires_grad()), c = torch::randn({4, 6}, torch::requires_grad());
      auto x2 = x.detach().clone().requires_grad_(), c2 = c.detach().clone().requires_grad_();
      auto broadcast = c2;
      for (size_t a = 0; a < grid.size(); ++a) broadcast = broadcast.unsqueeze(-1);
      const auto y = convolve_with_constant_channels(conv, x, c);
      const auto ref = conv(torch::cat({x2, broadcast.expand(constant)}, 1));
      ASSERT_EQ(y.sizes(), ref.sizes()) << what;
      EXPECT_LT(max_diff(y, ref), 1e-5) << what;
      const auto g = torch::randn_like(ref);
      (y * g).sum().backward();
      const auto w_grad = conv->weight.grad().clone(), b_grad = conv->bias.grad().clone();
      conv->zero_grad();
      (ref * g).sum().backward();
      EXPECT_LT(max_diff(x.grad(), x2.grad()), 1e-4) << what;
      EXPECT_LT(max_diff(c.grad(), c2.grad()), 1e-4) << what;
      EXPECT_LT(max_diff(w_grad, conv->weight.grad()), 1e-3) << what;
      EXPECT_LT(max_diff(b_grad, conv->bias.grad()), 1e-3) << what;
    }
}

}  // namespace
}  // namespace slift::learner
