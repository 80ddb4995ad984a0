// The training step without host synchronisation (losses read every log_every steps, indices
// drawn per block, gradient clipping decided on the device) trains exactly as the step that read
// the loss, clipped with clip_grad_norm_ and drew its indices one step at a time did; a loss that
// is not finite still stops the run naming the checkpoint kept. Fused AdamW (LibTorch 2.4 and
// later) against the plain one.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/learner.hpp"
#include "learner/model_info.hpp"
#include "learner/models.hpp"
#include "support/test_support.hpp"
#include "toy_data.hpp"

namespace slift {
namespace {

using namespace learner;

// The training loop of an MLP on states as it was before the step stopped synchronising: the
// loss read after every step, torch::nn::utils::clip_grad_norm_, the indices drawn per step.
std::vector<float> losses_the_old_way(const std::string& path, const TrainOptions& o, uint64_t seed) {
  setup_execution("cpu", "float32", o.threads, true);
  auto data = read_trajectories(path);
  ModelSpec spec;
  spec.options = o;
  spec.dim = data.dim;
  const int64_t w = spec.window(), d = spec.label_dim(), dim = data.dim;
  const auto tr = make_transitions(data, w, d, o.shuffle_fraction, seed);
  const Normalisation norm = fit_normalisation(tr);
  const auto windows = to_tensor(tr.inputs, {tr.n, w * dim});
  const auto inputs = normalise_windows(spec, norm, windows), labels = to_tensor(tr.labels, {tr.n, d});
  const auto targets = (to_tensor(tr.targets, {tr.n, dim}) - windows.slice(1, (w - 1) * dim)) / to_tensor(norm.out_scale, {dim});
  const auto model = model_for_training(spec, seed);
  torch::manual_seed(seed);
  Net net(spec);
  torch::optim::AdamW opt(net.module()->parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  Rng batch_rng(seed, 0, "learner.batch");
  std::vector<float> losses;
  for (int64_t step = 0; step < o.iterations; ++step) {
    auto idx = torch::empty({o.batch_size}, torch::kInt64);
    for (int64_t i = 0; i < o.batch_size; ++i) idx[i] = static_cast<int64_t>(batch_rng.below(static_cast<uint64_t>(tr.n)));
    opt.zero_grad();
    Minibatch b{inputs.index_select(0, idx), targets.index_select(0, idx), labels.index_select(0, idx)};
    b.global = o.batch_size;
    const Loss loss = regression_loss(*model, net, b, step, Execution{});
    loss.value.backward();
    const double lr = step < o.warmup ? o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup)
                                      : 0.5 * o.lr * (1.0 + std::cos(M_PI * static_cast<double>(step - o.warmup) /
                                                                     static_cast<double>(o.iterations - o.warmup)));
    torch::nn::utils::clip_grad_norm_(net.module()->parameters(), o.grad_clip);
    static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[0].options()).lr(lr);
    opt.step();
    losses.push_back(static_cast<float>(loss.value.item<double>()));
  }
  return losses;
}

TEST(LearnerStep, SyncFreeStepTrainsExactlyAsTheSynchronisingOne) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  test::write_random_walks(dir / "train.h5");
  auto o = test::tiny_options(60, 16, 4);
  o.grad_clip = 0.05;  // small enough to clip most steps
  o.weight_decay = 1e-2;
  const auto reference = losses_the_old_way(dir / "train.h5", o, 4);
  // Reads at log lines every 7 steps and checkpoints every 10: blocks of uneven length.
  o.log_every = 7;
  o.checkpoint_every = 10;
  const auto r = train_model("sl", o, dir / "train.h5", 4, dir / "m.pt", dir / "m.ckpt", "");
  const auto losses = read_model_info(dir / "m.pt").losses;
  ASSERT_EQ(losses.size(), reference.size());
  for (size_t i = 0; i < losses.size(); ++i) EXPECT_EQ(losses[i], reference[i]) << "step " << i + 1;
  // The clipping bound: without it the same run trains otherwise.
  o.grad_clip = 0;
  EXPECT_NE(losses_the_old_way(dir / "train.h5", o, 4).back(), reference.back());
  EXPECT_GT(r.mean_predictor_loss, 0.0);
}

TEST(LearnerStep, NonFiniteLossStopsAtTheReadNamingTheKeptCheckpoint) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  test::write_random_walks(dir / "train.h5");
  auto o = test::tiny_options(100, 16, 4);
  // The first step's update takes the weights to about 1e30 (finite, checkpointed); the second
  // loss overflows. The guard reads it at the checkpoint after step 2 and names step 2.
  o.lr = 1e30, o.warmup = 1, o.grad_clip = 0;
  o.log_every = 20;
  o.checkpoint_every = 1;
  const auto message = test::error_message(ExitCode::runtime, [&] {
    train_model("sl", o, dir / "train.h5", 4, dir / "m.pt", dir / "m.ckpt", "");
  });
  EXPECT_NE(message.find("the loss is not finite at step 2 (lr"), std::string::npos) << message;
  EXPECT_NE(message.find("the last checkpoint (step 1) is kept"), std::string::npos) << message;
}

TEST(LearnerStep, FusedAdamWMatchesThePlainOneOver100Steps) {
  if (!fused_adamw_available()) GTEST_SKIP() << "LibTorch " << TORCH_VERSION << " has no fused AdamW (2.4 and later)";
  torch::manual_seed(5);
  const auto x = torch::randn({64, 8}), y = torch::randn({64, 3});
  std::vector<std::vector<double>> losses(2);
  for (bool fused : {false, true}) {
    torch::manual_seed(6);
    torch::nn::Sequential net(torch::nn::Linear(8, 32), torch::nn::SiLU(), torch::nn::Linear(32, 3));
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(1e-4));
    for (int step = 0; step < 100; ++step) {
      opt.zero_grad();
      const auto loss = torch::mse_loss(net->forward(x), y);
      loss.backward();
      adamw_step(opt, fused);
      losses[fused].push_back(loss.item<double>());
    }
  }
  for (size_t i = 0; i < losses[0].size(); ++i) EXPECT_NEAR(losses[1][i], losses[0][i], 1e-6 * losses[0][i]) << "step " << i + 1;
}

TEST(LearnerStep, CudaGraphOnTheCpuRunsTheStepsAsTheyAre) {
  // Asked for where it cannot be (the CPU; LibTorch 1.13): no graph, one log line says why, and
  // the steps are the ones that run without it. A value other than 0 or 1 is refused in one line.
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  test::write_random_walks(dir / "train.h5");
  const auto o = test::tiny_options(20, 16, 4);
  train_model("sl", o, dir / "train.h5", 4, dir / "plain.pt", "", "");
  {
    test::ScopedEnv graph("SLIFT_CUDA_GRAPH", "1");
    EXPECT_EQ(train_model("sl", o, dir / "train.h5", 4, dir / "asked.pt", "", "").graph_steps, 0);
  }
  EXPECT_EQ(read_model_info(dir / "asked.pt").losses, read_model_info(dir / "plain.pt").losses);
  test::ScopedEnv graph("SLIFT_CUDA_GRAPH", "yes");
  const auto message = test::usage_message([&] { train_model("sl", o, dir / "train.h5", 4, dir / "bad.pt", "", ""); });
  EXPECT_NE(message.find("SLIFT_CUDA_GRAPH=yes: 1"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.pt"));
}

}  // namespace
}  // namespace slift
