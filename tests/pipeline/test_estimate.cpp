// The arithmetic the dry run states: the UNet's FLOPs, counted layer by layer from the same spec
// the learner builds the network from, for the paper's wave config: 20,082,433 parameters,
// forward 126.05 GFLOP per sample at 128^2, a step 24.19 TFLOP at batch 64 (three independent
// counts agreed on these: a layer-by-layer count, PyTorch's FlopCounterMode on a port of the
// network and on the TorchScript `slift export` writes).
#include <gtest/gtest.h>

#include <algorithm>

#include "learner/unet_spec.hpp"
#include "pipeline/estimate.hpp"
#include "support/test_support.hpp"

using namespace slift;

namespace {

TEST(Estimate, PaperWaveUNetFlopsAsCountedIndependently) {
  const auto e = pipeline::load_experiment(test::source_dir() + "/configs/paper/wave.yaml", {});
  const double forward = learner::forward_flops(learner::unet_spec("sl", e.train, true), 128, 128);
  EXPECT_NEAR(forward, 126.05e9, 0.005 * 126.05e9);
  const auto r = pipeline::estimate_run(e);
  const auto sl = std::find_if(r.train_flops.begin(), r.train_flops.end(), [](const auto& f) { return f.model == "sl"; });
  ASSERT_NE(sl, r.train_flops.end());
  EXPECT_DOUBLE_EQ(sl->forward_per_sample, forward);
  EXPECT_NEAR(sl->per_step, 24.19e12, 0.005 * 24.19e12);
  // The dry run says it, with a GPU time at its stated throughput.
  std::string text;
  for (const auto& line : pipeline::describe_estimate(e, 1)) text += line + "\n";
  EXPECT_NE(text.find("train sl: 24.2 TFLOP per step (forward 126.05 GFLOP per sample x batch 64"), std::string::npos) << text;
  EXPECT_NE(text.find("TFLOP/s (30% of an H100's or H200's dense bfloat16 peak"), std::string::npos) << text;
}

TEST(Estimate, ModelsDifferOnlyWhereTheirNetworksDo) {
  const auto e = pipeline::load_experiment(test::source_dir() + "/configs/paper/wave.yaml", {});
  auto with_label_channels = e.train;
  with_label_channels.label_channels = true;
  const double sl = learner::forward_flops(learner::unet_spec("sl", e.train, true), 128, 128);
  const double det = learner::forward_flops(learner::unet_spec("deterministic", e.train, true), 128, 128);
  const double ardm = learner::forward_flops(learner::unet_spec("ardm", e.train, true), 128, 128);
  const double channels = learner::forward_flops(learner::unet_spec("sl", with_label_channels, true), 128, 128);
  // No label: no conditioning MLP and no modulation (2 x (64 x 512 + 512^2 + 14 blocks' 512 x 2 x width)).
  EXPECT_LT(det, sl);
  EXPECT_NEAR(sl - det, 2.0 * (64 * 512 + 512 * 512 + 512 * 2.0 * (128 * 4 + 256 * 4 + 512 * 2)), 1.0);
  // ARDM: one more input channel (the noisy target) and a 512-wide time embedding.
  EXPECT_NEAR(ardm - sl, 2.0 * (9 * 128 * 128.0 * 128 + (512 - 64) * 512), 1.0);
  // 64 constant label channels: one product per stem output value each.
  EXPECT_NEAR(channels - sl, 2.0 * 64 * 128 * 128.0 * 128, 1.0);
}

}  // namespace
