// The UNet backbone and the diffusion schedule of the ARDM (one translation unit: each one that
// includes LibTorch costs about a minute to compile).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include <functional>
#include <numeric>
#include <set>
#include <string>

#include "learner/diffusion.hpp"
#include "learner/model.hpp"
#include "learner/unet.hpp"

namespace slift::learner {
namespace {

UNetSpec tiny(int64_t in, int64_t cond, bool periodic) {
  UNetSpec s;
  s.in_channels = in, s.widths = {8, 16}, s.blocks = 1, s.cond_dim = cond, s.embed_dim = 32, s.periodic = {periodic, periodic};
  return s;
}

double rms(const torch::Tensor& t) { return t.pow(2).mean().sqrt().item<double>(); }

// Full-batch Adam on (inputs, conditioning) -> targets; returns the final MSE.
double fit(UNet& net, const torch::Tensor& x, const torch::Tensor& cond, const torch::Tensor& y, int steps, double lr) {
  torch::set_num_threads(1);  // tiny tensors: threads only add overhead on a shared machine
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(lr));
  double loss = 0;
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    torch::Tensor l = torch::mse_loss(net->forward(x, cond), y);
    l.backward();
    opt.step();
    loss = l.item<double>();
  }
  return loss;
}

// The periodic padding as it was built before periodic_pad: one concatenation per padded axis,
// from the last (in 2-D the columns, then the rows), and autograd's backward.
torch::Tensor wrap_by_concatenation(const torch::Tensor& x, const std::vector<int64_t>& pads) {
  auto out = x;
  const int64_t first = x.dim() - static_cast<int64_t>(pads.size());
  for (size_t a = pads.size(); a-- > 0;) {
    const int64_t d = first + static_cast<int64_t>(a), p = pads[a];
    if (p > 0) out = torch::cat({out.narrow(d, out.size(d) - p, p), out, out.narrow(d, 0, p)}, d);
  }
  return out;
}
torch::Tensor wrap_by_concatenation(const torch::Tensor& x, int64_t p) { return wrap_by_concatenation(x, {p, p}); }

// The residual block's forward as it was before normalise, modulate and periodic_pad.
torch::Tensor block_as_before(ResBlockImpl& b, const torch::Tensor& x, const torch::Tensor& emb) {
  const auto conv = [&](Conv& c, const torch::Tensor& t) { return torch::conv2d(wrap_by_concatenation(t, 1), c->weight, c->bias); };
  auto h = conv(b.conv1, torch::silu(b.norm1(x)));
  h = b.norm2(h);
  const auto ss = b.modulation(emb).unsqueeze(-1).unsqueeze(-1).chunk(2, 1);
  h = conv(b.conv2, torch::silu(h * (1 + ss[0]) + ss[1]));
  return b.skip(x) + h;
}

// The dtypes of the tensors a graph computes (each node's outputs), leaves (parameters, inputs) and
// the transposed views of weights that linear layers take before autocast casts them left out.
std::set<std::string> computed_dtypes(const torch::Tensor& out) {
  std::set<std::string> dtypes;
  std::set<torch::autograd::Node*> seen;
  std::function<void(torch::autograd::Node*)> visit = [&](torch::autograd::Node* n) {
    if (!n || !seen.insert(n).second || n->name() == "torch::autograd::AccumulateGrad") return;
    if (n->name().rfind("TBackward", 0) == 0) return;
    for (uint32_t i = 0; i < n->num_inputs(); ++i) 
      dtypes.insert(std::string(c10::toString(n->input_metadata(i).dtype().toScalarType())) + " from " + n->name());
    for (const auto& e : n->next_edges()) visit(e.function.get());
  };
  visit(out.grad_fn().get());
  return dtypes;
}

}  // namespace

TEST(UNet, PeriodicPadMatchesConcatenationForwardAndBackward) {
  torch::manual_seed(7);
  for (int64_t p : {1, 2}) {
    const auto x = torch::randn({2, 3, 6, 5}, torch::kFloat64).requires_grad_(true);
    const auto g = torch::randn({2, 3, 6 + 2 * p, 5 + 2 * p}, torch::kFloat64);
    const auto ours = periodic_pad(x, p);
    const auto reference = wrap_by_concatenation(x, p);
    EXPECT_TRUE(torch::equal(ours, reference)) << "p " << p;
    const auto ours_grad = torch::autograd::grad({ours}, {x}, {g})[0];
    const auto reference_grad = torch::autograd::grad({reference}, {x}, {g})[0];
    // The same sums in the same order: equal, not only to rounding.
    EXPECT_TRUE(torch::equal(ours_grad, reference_grad)) << "p " << p << ": "
        << (ours_grad - reference_grad).abs().max().item<double>();
  }
  // LibTorch's own numerical check of the backward.
  const auto x = torch::randn({1, 2, 4, 3}, torch::kFloat64).requires_grad_(true);
  const auto numeric = [&](double h, int64_t i) {
    auto xp = x.detach().clone(), xm = x.detach().clone();
    xp.view(-1)[i] += h, xm.view(-1)[i] -= h;
    return (periodic_pad(xp, 1) - periodic_pad(xm, 1)) / (2 * h);
  };
  const auto w = torch::randn({1, 2, 6, 5}, torch::kFloat64);
  const auto analytic = torch::autograd::grad({(periodic_pad(x, 1) * w).sum()}, {x})[0];
  for (int64_t i = 0; i < x.numel(); ++i)
    EXPECT_NEAR(analytic.view(-1)[i].item<double>(), (numeric(1e-6, i) * w).sum().item<double>(), 1e-8) << i;
  // Channels last stays channels last.
  const auto nhwc = torch::randn({1, 8, 4, 4}).contiguous(torch::MemoryFormat::ChannelsLast);
  EXPECT_TRUE(periodic_pad(nhwc, 1).is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(periodic_pad(nhwc, 1), wrap_by_concatenation(nhwc, 1)));
}

TEST(UNet, PeriodicPadOnOneToThreeAxesMatchesConcatenation) {
  // Per-axis paddings on 1-3 spatial axes, 0 leaving an axis as it is (a walled one): the same
  // values as nested concatenations, and the same gradient bits as autograd's through them.
  torch::manual_seed(17);
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases{
      {{9}, {1}}, {{9}, {2}}, {{6, 5}, {1, 0}}, {{6, 5}, {0, 2}}, {{5, 6, 7}, {1, 1, 1}}, {{5, 6, 7}, {2, 0, 1}}};
  for (const auto& [grid, pads] : cases) {
    std::vector<int64_t> shape{2, 3}, padded{2, 3};
    shape.insert(shape.end(), grid.begin(), grid.end());
    for (size_t a = 0; a < grid.size(); ++a) padded.push_back(grid[a] + 2 * pads[a]);
    const auto x = torch::randn(shape, torch::kFloat64).requires_grad_(true);
    const auto g = torch::randn(padded, torch::kFloat64);
    const auto ours = periodic_pad(x, pads), reference = wrap_by_concatenation(x, pads);
    const std::string what = std::to_string(grid.size()) + "-D, pads " + torch::str(pads);
    EXPECT_TRUE(torch::equal(ours, reference)) << what;
    const auto ours_grad = torch::autograd::grad({ours}, {x}, {g})[0];
    const auto reference_grad = torch::autograd::grad({reference}, {x}, {g})[0];
    EXPECT_TRUE(torch::equal(ours_grad, reference_grad)) << what << ": " << (ours_grad - reference_grad).abs().max().item<double>();
  }
  // 3-D channels last (NDHWC) stays so.
  const auto ndhwc = torch::randn({1, 8, 4, 4, 4}).contiguous(torch::MemoryFormat::ChannelsLast3d);
  EXPECT_TRUE(periodic_pad(ndhwc, 1).is_contiguous(torch::MemoryFormat::ChannelsLast3d));
  EXPECT_TRUE(torch::equal(periodic_pad(ndhwc, 1), wrap_by_concatenation(ndhwc, {1, 1, 1})));
}

TEST(UNet, Float32BlockIsBitForBitAsBefore) {
  // normalise, modulate and periodic_pad leave the float32 path as it was: outputs and every
  // parameter's gradient identical to the formulation before them.
  torch::manual_seed(8);
  UNetSpec s = tiny(3, 4, true);
  ResBlock block(8, 16, s);
  const auto x = torch::randn({2, 8, 8, 8}), emb = torch::randn({2, s.embed_dim});
  const auto ours = block->forward(x, emb), before = block_as_before(*block, x, emb);
  EXPECT_TRUE(torch::equal(ours, before));
  const auto g = torch::randn_like(ours);
  const auto params = block->parameters();
  const auto a = torch::autograd::grad({ours}, params, {g}), b = torch::autograd::grad({before}, params, {g});
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
}

TEST(UNet, Bfloat16AutocastKeepsEverythingBetweenConvolutionsInBfloat16) {
  // Under CPU autocast every tensor the network computes is bfloat16 (the statistics of the norms
  // are float32 inside their kernels); before, GroupNorm and what followed it ran in float32.
  torch::manual_seed(9);
  UNet net(tiny(3, 4, true));
  const auto x = torch::randn({2, 3, 8, 8}).to(torch::kBFloat16), z = torch::randn({2, 4});
  const auto out = [&] {
    Autocast autocast(Execution{torch::kCPU, torch::kBFloat16});
    return net->forward(x, z);
  }();
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
  for (const auto& d : computed_dtypes(out)) EXPECT_EQ(d.rfind("BFloat16", 0), 0u) << d;
  // GroupNorm in bfloat16 agrees with float32's to bfloat16's rounding.
  torch::nn::GroupNorm norm(torch::nn::GroupNormOptions(8, 16));
  const auto h = torch::randn({2, 16, 8, 8}) * 3 + 1;
  const auto low = normalise(norm, h.to(torch::kBFloat16));
  EXPECT_EQ(low.scalar_type(), torch::kBFloat16);
  EXPECT_LT((low.to(torch::kFloat32) - norm(h)).abs().max().item<double>(), 0.05);
  EXPECT_TRUE(torch::equal(normalise(norm, h), norm(h)));
}

TEST(UNet, ShapesPeriodicAndWalls) {
  torch::manual_seed(0);
  for (bool periodic : {true, false}) {
    UNet net(tiny(3, 4, periodic));
    torch::Tensor out = net->forward(torch::randn({2, 3, 16, 12}), torch::randn({2, 4}));
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 1, 16, 12}));
    UNetSpec deep = tiny(4, 0, periodic);
    deep.widths = {8, 16, 16}, deep.blocks = 2;
    EXPECT_EQ(UNet(deep)->forward(torch::randn({1, 4, 8, 8})).sizes(), (std::vector<int64_t>{1, 1, 8, 8}));
  }
  UNet net(tiny(3, 4, false));
  EXPECT_ANY_THROW(net->forward(torch::randn({1, 3, 15, 16}), torch::randn({1, 4})));  // not a multiple of 2
  EXPECT_ANY_THROW(net->forward(torch::randn({1, 3, 16, 16})));                        // label missing
}

TEST(UNet, CircularPaddingMakesItShiftEquivariant) {
  // On a periodic grid, shifting the input by a multiple of the coarsest stride shifts the output.
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({1, 3, 16, 16});
  auto shifted_gap = [&](bool periodic) {
    UNet net(tiny(3, 0, periodic));
    torch::NoGradGuard g;
    torch::Tensor a = net->forward(x.roll({4, 6}, {2, 3})), b = net->forward(x).roll({4, 6}, {2, 3});
    return (a - b).abs().max().item<double>();
  };
  EXPECT_LT(shifted_gap(true), 1e-5);
  EXPECT_GT(shifted_gap(false), 1e-3);  // zero padding: the walls are seen
}

// The largest change that rolling the input by `shifts` along spatial axes `axes` (0: the first)
// makes to the net's rolled output: 0 where the net commutes with the shift.
double roll_gap(const UNetSpec& spec, const std::vector<int64_t>& grid, const std::vector<int64_t>& shifts,
                const std::vector<int64_t>& axes) {
  torch::manual_seed(11);
  UNet net(spec);
  std::vector<int64_t> shape{2, spec.in_channels}, dims;
  shape.insert(shape.end(), grid.begin(), grid.end());
  for (const int64_t a : axes) dims.push_back(a + 2);
  const auto x = torch::randn(shape), z = torch::randn({2, spec.cond_dim});
  torch::NoGradGuard g;
  return (net->forward(x.roll(shifts, dims), z) - net->forward(x, z).roll(shifts, dims)).abs().max().item<double>();
}

TEST(UNet, OneAndThreeDimensionalNetsCommuteWithShiftsAlongPeriodicAxes) {
  for (const std::vector<int64_t>& grid : {std::vector<int64_t>{16}, {8, 8, 8}}) {
    const auto d = static_cast<int64_t>(grid.size());
    std::vector<int64_t> axes(grid.size());
    std::iota(axes.begin(), axes.end(), 0);
    const std::vector<int64_t> one(grid.size(), 1);
    UNetSpec s = tiny(3, 4, true);
    s.periodic.assign(grid.size(), true);
    // Two levels: a shift by the coarsest cell (the stride-2 level sees whole cells).
    EXPECT_LT(roll_gap(s, grid, std::vector<int64_t>(grid.size(), s.grid_multiple()), axes), 1e-5) << d << "-D";
    s.widths = {8};  // one level, no stride: any shift, one cell included
    EXPECT_LT(roll_gap(s, grid, one, axes), 1e-5) << d << "-D";
    s.periodic.assign(grid.size(), false);  // walls: the edges are seen
    EXPECT_GT(roll_gap(s, grid, one, axes), 1e-3) << d << "-D walls";
  }
}

TEST(UNet, MixedBoundariesCommuteWithShiftsAlongThePeriodicAxisOnly) {
  // 2-D, periodic along the first axis, walls along the second.
  UNetSpec s = tiny(3, 4, true);
  s.periodic = {true, false};
  s.widths = {8};
  EXPECT_LT(roll_gap(s, {8, 8}, {1}, {0}), 1e-5);
  EXPECT_GT(roll_gap(s, {8, 8}, {1}, {1}), 1e-3);
  s.widths = {8, 16};
  EXPECT_LT(roll_gap(s, {8, 8}, {2}, {0}), 1e-5);
  EXPECT_GT(roll_gap(s, {8, 8}, {2}, {1}), 1e-3);
}

TEST(UNet, ForwardFlopsCountTheBuiltNetworksLayers) {
  // forward_flops against a count from the parameters of the network built from the same spec:
  // every convolution's weight (in x out x kernel^d) once per output cell of its level, every
  // linear layer's once per sample, 2 FLOPs per multiply-add.
  for (const std::vector<int64_t>& grid : {std::vector<int64_t>{32}, {16, 8}, {8, 8, 16}}) {
    UNetSpec s = tiny(3, 4, true);
    s.periodic.assign(grid.size(), true);
    s.widths = {8, 16, 24}, s.blocks = 2;  // widths that change: 1x1 skips
    UNet net(s);
    double cells = 1, macs = 0;
    for (const int64_t n : grid) cells *= static_cast<double>(n);
    const auto level_cells = [&](int64_t level) { return cells / std::pow(2.0, static_cast<double>(level * grid.size())); };
    for (const auto& item : net->named_parameters()) {
      const std::string& name = item.key();
      const auto& w = item.value();
      if (name.size() < 7 || name.compare(name.size() - 7, 7, ".weight") != 0 || w.dim() == 1) continue;  // biases, norms
      if (w.dim() == 2) {  // the conditioning MLP and the modulations
        macs += static_cast<double>(w.numel());
        continue;
      }
      ASSERT_EQ(w.dim(), static_cast<int64_t>(grid.size()) + 2) << name;
      int64_t level = 0;  // stem, head
      if (name.rfind("downsample", 0) == 0) level = std::stoi(name.substr(10)) + 1;  // writes the next level
      else if (name.rfind("upsample", 0) == 0) level = std::stoi(name.substr(8));
      else if (name.rfind("down", 0) == 0) level = std::stoi(name.substr(4));
      else if (name.rfind("up", 0) == 0) level = std::stoi(name.substr(2));
      macs += static_cast<double>(w.numel()) * level_cells(level);
    }
    EXPECT_NEAR(forward_flops(s, grid), 2 * macs, 1e-9 * macs) << grid.size() << "-D";
  }
}

TEST(UNet, ChannelsLastOnThreeAndOneDimensionalGrids) {
  // NDHWC on a 3-D grid, the same outputs to float rounding; a 1-D grid has no such layout and
  // stays as it is.
  for (const std::vector<int64_t>& grid : {std::vector<int64_t>{8, 4, 4}, {16}}) {
    ModelSpec spec;
    spec.options.arch = "unet";
    spec.options.unet_widths = {8, 16};
    spec.options.embed_dim = 16;
    spec.options.label_dim = 3;
    spec.options.window = 2;
    spec.grid = grid;
    spec.periodic.assign(grid.size(), true);
    spec.dim = std::accumulate(grid.begin(), grid.end(), int64_t(1), std::multiplies<>());
    torch::manual_seed(12);
    Net plain(spec);
    torch::manual_seed(12);
    Net last(spec);
    last.use_channels_last();
    EXPECT_EQ(last.channels_last, grid.size() == 3);
    EXPECT_EQ(last.unet->stem->weight.is_contiguous(torch::MemoryFormat::ChannelsLast3d), grid.size() == 3);
    const auto x = torch::randn({2, 2 * spec.dim}), z = torch::randn({2, 3});
    torch::NoGradGuard g;
    EXPECT_LT((plain.forward(x, z) - last.forward(x, z)).abs().max().item<double>(), 1e-5) << grid.size() << "-D";
  }
}

TEST(UNet, OutputDependsOnTheLabel) {
  torch::manual_seed(2);
  torch::Tensor x = torch::randn({1, 3, 8, 8});
  for (bool film : {true, false}) {
    UNetSpec s = tiny(3, 4, true);
    s.film = film;
    UNet net(s);
    torch::NoGradGuard g;
    double gap = (net->forward(x, torch::randn({1, 4})) - net->forward(x, torch::randn({1, 4}))).abs().max().item<double>();
    EXPECT_GT(gap, 1e-4) << (film ? "film" : "shift");
  }
}

TEST(UNet, InterpolatesTransitionsWithLabels) {
  // Two inputs, each followed by four different outcomes: one fixed label per transition lets the
  // network fit all eight (loss near zero), and its output follows the label.
  torch::manual_seed(3);
  const int64_t n = 8, d = 8;
  torch::Tensor inputs = torch::randn({2, 1, 8, 8});
  torch::Tensor x = inputs.repeat_interleave(4, 0);
  torch::Tensor y = x + torch::randn({n, 1, 8, 8});
  torch::Tensor z = torch::randn({n, d});
  UNet net(tiny(1, d, true));
  const double initial = torch::mse_loss(net->forward(x, z), y).item<double>();
  const double loss = fit(net, x, z, y, 250, 5e-3);
  std::printf("interpolation: loss %.3g -> %.3g\n", initial, loss);
  EXPECT_LT(loss, 1e-3 * initial);
  torch::NoGradGuard g;
  torch::Tensor out = net->forward(x, z);
  // Same input, different labels: different outputs, as far apart as the targets are.
  double spread = rms(out[0] - out[1]), target_spread = rms(y[0] - y[1]);
  EXPECT_NEAR(spread / target_spread, 1.0, 0.1);
}

TEST(UNet, WithoutLabelsPredictsTheConditionalMean) {
  // Input a goes to P three times and to -P once (mean P / 2); input b to Q and to 0 twice each
  // (mean Q / 2). The MSE minimiser without labels is the conditional mean.
  torch::manual_seed(4);
  torch::Tensor a = torch::randn({1, 1, 8, 8}), b = torch::randn({1, 1, 8, 8});
  torch::Tensor P = torch::randn({1, 1, 8, 8}), Q = torch::randn({1, 1, 8, 8});
  torch::Tensor x = torch::cat({a, a, a, a, b, b, b, b});
  torch::Tensor y = torch::cat({P, P, P, -P, Q, Q, Q * 0, Q * 0});
  UNet net(tiny(1, 0, false));
  fit(net, x, torch::Tensor(), y, 250, 5e-3);
  torch::NoGradGuard g;
  torch::Tensor out = net->forward(torch::cat({a, b}));
  double err_a = rms(out[0] - P[0] / 2) / rms(P / 2), err_b = rms(out[1] - Q[0] / 2) / rms(Q / 2);
  std::printf("conditional mean: relative errors %.3g %.3g\n", err_a, err_b);
  EXPECT_LT(err_a, 0.1);
  EXPECT_LT(err_b, 0.1);
}

TEST(Diffusion, CosineScheduleIsMonotoneFromOneToZero) {
  for (int64_t K : {1, 2, 40}) {
    std::vector<double> ab = Diffusion::alpha_bars(K);
    ASSERT_EQ(ab.size(), size_t(K + 1));
    EXPECT_NEAR(ab.front(), 1.0, 1e-12);
    EXPECT_LT(ab.back(), 1e-3);
    for (int64_t k = 1; k <= K; ++k) EXPECT_LT(ab[k], ab[k - 1]) << "K " << K << " k " << k;
  }
  EXPECT_NEAR(Diffusion::alpha_bar(0.5), 0.5, 0.02);  // the cosine schedule's midpoint
}

TEST(Diffusion, TrainingTargetsDetermineTheCleanTarget) {
  torch::manual_seed(5);
  torch::Tensor x0 = torch::randn({6, 1, 4, 4}, torch::kFloat64), eps = torch::randn({6, 1, 4, 4}, torch::kFloat64);
  torch::Tensor steps = torch::tensor({1, 10, 100, 500, 999, 1000}, torch::kLong);
  for (const char* p : {"eps", "v"}) {
    Diffusion d(p, 1000);
    Diffusion::Example e = d.training_example(x0, steps, eps);
    for (int64_t i = 0; i < 6; ++i) {
      double ab = Diffusion::alpha_bar(steps[i].item<int64_t>() / 1000.0), a = std::sqrt(ab), b = std::sqrt(1 - ab);
      EXPECT_NEAR(e.s[i].item<double>(), steps[i].item<int64_t>() / 1000.0, 1e-6);
      EXPECT_LT((e.x_t[i] - (a * x0[i] + b * eps[i])).abs().max().item<double>(), 1e-12);
      torch::Tensor rec = std::string(p) == "eps" ? (e.x_t[i] - b * e.target[i]) / a : a * e.x_t[i] - b * e.target[i];
      EXPECT_LT((rec - x0[i]).abs().max().item<double>(), 1e-9) << p << " step " << steps[i].item<int64_t>();
    }
  }
  EXPECT_ANY_THROW(Diffusion("eps", 10).training_example(x0, steps, eps));  // steps beyond 10
}

TEST(Diffusion, AncestralSamplingWithTheExactDenoiser) {
  // Data +1 or -1 with equal weight: E[x0 | x_t] = tanh(a x_t / b^2). With that exact denoiser
  // the sampler must land on the two points, half each, for eps and v.
  torch::manual_seed(6);
  torch::Tensor like = torch::zeros({4000, 1, 1, 1}, torch::kFloat64);
  auto normal = [](const torch::Tensor& t) { return torch::randn_like(t); };
  for (const char* p : {"eps", "v"}) {
    Diffusion d(p, 1000);
    auto denoise = [&](const torch::Tensor& x, const torch::Tensor& s) {
      double ab = Diffusion::alpha_bar(s[0].item<double>()), a = std::sqrt(ab), b = std::sqrt(1 - ab);
      torch::Tensor x0 = torch::tanh(a * x / (b * b)), e = (x - a * x0) / b;
      return std::string(p) == "eps" ? e : a * e - b * x0;
    };
    for (int64_t K : {1, 2, 40}) {
      torch::Tensor out = d.sample(denoise, like, K, normal);
      double near = ((out.abs() - 1).abs() < 0.05).to(torch::kFloat64).mean().item<double>();
      double balance = out.sign().mean().item<double>(), largest = out.abs().max().item<double>();
      std::printf("%s K=%ld: near +-1 %.3f, mean sign %.3f, max |x| %.3f\n", p, long(K), near, balance, largest);
      EXPECT_NEAR(balance, 0.0, 0.1) << p << " K " << K;
      // One step returns the denoiser's mean from pure noise (~0): the collapse that makes an
      // ARDM with few steps fail; forty steps resolve the two points.
      if (K == 1) {
        EXPECT_LT(largest, 0.1) << p;
      } else if (K == 40) {
        EXPECT_GT(near, 0.95) << p;
      }
    }
  }
}

TEST(Diffusion, TimeEmbedding) {
  torch::Tensor e = time_embedding(torch::tensor({0.0f, 0.5f}), 8);
  EXPECT_EQ(e.sizes(), (std::vector<int64_t>{2, 8}));
  EXPECT_NEAR(e[0].slice(0, 0, 4).abs().max().item<double>(), 0.0, 1e-7);    // sin(0)
  EXPECT_NEAR(e[0].slice(0, 4, 8).min().item<double>(), 1.0, 1e-7);          // cos(0)
  EXPECT_NEAR(e[1][0].item<double>(), std::sin(500.0), 1e-4);                // first frequency 1
  EXPECT_ANY_THROW(time_embedding(torch::tensor({0.0f}), 7));
}

}  // namespace slift::learner
