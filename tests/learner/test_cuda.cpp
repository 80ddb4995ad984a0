// The learner on a GPU: a deterministic CUDA training repeats itself bit for bit and resumes
// exactly; it starts from the CPU's initial weights and minibatches and agrees with the CPU's loss
// to float rounding at first; sampling repeats itself and matches the CPU's rollout to rounding;
// bfloat16 and channels-last train to finite losses; a model trained on CUDA loads anywhere; steps
// replayed from a CUDA graph give the losses of steps run kernel by kernel.
// Every test skips with a message on a machine without a usable CUDA device.
#include <gtest/gtest.h>

#include <cmath>

#include "core/dataset.hpp"
#include "core/log.hpp"
#include "learner/learner.hpp"
#include "learner/model_info.hpp"
#include "support/test_support.hpp"
#include "toy_data.hpp"

namespace slift {
namespace {

class Cuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!learner::cuda_available())
      GTEST_SKIP() << "no CUDA device here: these tests run on a machine with a GPU (scripts/gpu-check.sh)";
    log::set_level(log::Level::quiet);
    test::write_fields(dir / "data.h5", 8, 5, 16, 16, test::drifting_bumps(8, 5, 4, 16), true);
  }
  learner::TrainOptions options(int64_t iterations) const {
    auto o = test::tiny_unet_options(iterations, 16, 4);
    o.device = "cuda";
    return o;
  }
  learner::ModelInfo train(const std::string& model, const learner::TrainOptions& o, const std::string& name,
                           const std::string& checkpoint = "") {
    learner::train_model(model, o, dir / "data.h5", 7, dir / (name + ".pt"), checkpoint, "");
    return learner::read_model_info(dir / (name + ".pt"));
  }
  test::TempDir dir;
};

TEST_F(Cuda, DeterministicTrainingRepeatsItselfBitForBit) {
  for (const std::string model : {"sl", "ardm"}) {
    SCOPED_TRACE(model);
    const auto a = train(model, options(30), model + "_a"), b = train(model, options(30), model + "_b");
    EXPECT_EQ(a.losses, b.losses);
    EXPECT_EQ(a.parameters, b.parameters);
  }
}

TEST_F(Cuda, StoppedAndResumedRunMatchesStraightRun) {
  const auto straight = train("sl", options(40), "straight");
  auto o = options(40);
  o.stop_after = 17;
  learner::train_model("sl", o, dir / "data.h5", 7, dir / "resumed.pt", dir / "resumed.ckpt", "");
  o.stop_after = 0;
  const auto resumed = train("sl", o, "resumed", dir / "resumed.ckpt");
  EXPECT_EQ(straight.losses, resumed.losses);
  EXPECT_EQ(straight.parameters, resumed.parameters);
}

TEST_F(Cuda, FirstStepsAgreeWithTheCpuToRounding) {
  // The same initial weights, labels and minibatches; only the kernels differ.
  const auto gpu = train("sl", options(5), "gpu");
  auto o = options(5);
  o.device = "cpu";
  const auto cpu = train("sl", o, "cpu");
  ASSERT_EQ(gpu.losses.size(), cpu.losses.size());
  for (size_t i = 0; i < cpu.losses.size(); ++i)
    EXPECT_NEAR(gpu.losses[i], cpu.losses[i], 1e-3 * cpu.losses[i]) << "step " << i + 1;
}

TEST_F(Cuda, SamplingRepeatsItselfAndMatchesTheCpu) {
  train("sl", options(30), "sl");
  learner::SampleOptions so;
  so.n_trajectories = 6;
  so.batch_size = 4;  // two batches, the second one partial
  so.device = "cuda";
  const auto r = learner::sample_model(dir / "sl.pt", so, dir / "data.h5", 3, dir / "a.h5");
  EXPECT_EQ(r.device, "cuda");
  EXPECT_GT(r.peak_memory_bytes, 0);
  learner::sample_model(dir / "sl.pt", so, dir / "data.h5", 3, dir / "b.h5");
  so.device = "cpu";
  learner::sample_model(dir / "sl.pt", so, dir / "data.h5", 3, dir / "c.h5");
  const auto a = DatasetReader(dir / "a.h5", "fields").read("t0_fields/u");
  EXPECT_EQ(a, DatasetReader(dir / "b.h5", "fields").read("t0_fields/u"));
  const auto c = DatasetReader(dir / "c.h5", "fields").read("t0_fields/u");
  ASSERT_EQ(a.size(), c.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], c[i], 1e-3) << "value " << i;
}

TEST_F(Cuda, Bfloat16AndChannelsLastTrainToFiniteLosses) {
  const auto reference = train("sl", options(60), "f32");
  auto o = options(60);
  o.precision = "bfloat16";
  o.channels_last = true;
  o.deterministic = false;  // cuDNN's benchmark mode and TF32 as well
  const auto fast = train("sl", o, "fast");
  for (float l : fast.losses) ASSERT_TRUE(std::isfinite(l));
  EXPECT_LT(std::abs(fast.losses.back() - reference.losses.back()), 0.5 * reference.losses.back());
  learner::SampleOptions so;
  so.n_trajectories = 4;
  so.device = "cuda";
  so.precision = "bfloat16";
  learner::sample_model(dir / "fast.pt", so, dir / "data.h5", 3, dir / "fast.h5");
  for (float v : DatasetReader(dir / "fast.h5", "fields").read("t0_fields/u")) ASSERT_TRUE(std::isfinite(v));
}

TEST_F(Cuda, CapturedAndUncapturedStepsGiveTheSameLosses) {
  // Deterministic kernels, the clipping and weight decay inside the step: a step replayed from the
  // CUDA graph computes what the step run kernel by kernel does, bit for bit, in float32 and under
  // bf16 autocast, and a run stopped and resumed under the graph ends where the straight one does.
  // The ARDM too: its diffusion times and noise are drawn inside the graph from the step it counts.
  for (const std::string model : {"sl", "ardm"})
    for (const std::string precision : {"float32", "bfloat16"}) {
      SCOPED_TRACE(model + " " + precision);
      auto o = options(40);
      o.precision = precision;
      o.grad_clip = 0.05;
      o.weight_decay = 1e-2;
      const auto run = [&](const char* graph, const std::string& name, const std::string& checkpoint = "") {
        test::ScopedEnv env("SLIFT_CUDA_GRAPH", graph);
        return learner::train_model(model, o, dir / "data.h5", 7, dir / (name + ".pt"), checkpoint, "");
      };
      const auto captured = run("1", model + "_captured"), eager = run("0", model + "_eager");
      EXPECT_EQ(captured.graph_steps, 37) << "3 steps before the capture";
      EXPECT_EQ(eager.graph_steps, 0);
      const auto a = learner::read_model_info(dir / (model + "_captured.pt")),
                 b = learner::read_model_info(dir / (model + "_eager.pt"));
      EXPECT_EQ(a.losses, b.losses);
      EXPECT_EQ(a.parameters, b.parameters);
      EXPECT_EQ(captured.mean_predictor_loss, eager.mean_predictor_loss);
      o.stop_after = 17;
      run("1", model + "_resumed", dir / (model + "_resumed.ckpt"));
      o.stop_after = 0;
      run("1", model + "_resumed", dir / (model + "_resumed.ckpt"));
      EXPECT_EQ(learner::read_model_info(dir / (model + "_resumed.pt")).losses, a.losses);
    }
}

}  // namespace
}  // namespace slift
