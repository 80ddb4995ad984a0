// Mixed precision on the CPU: a bfloat16 (autocast) training of the tiny UNet ends near the loss of
// the float32 one and rolls out finite fields; asking for CUDA where there is none is a one-line
// usage error (exit 2), from the library and from `slift`.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/dataset.hpp"
#include "core/log.hpp"
#include "learner/learner.hpp"
#include "learner/model_info.hpp"
#include "support/test_support.hpp"
#include "toy_data.hpp"

namespace slift {
namespace {

TEST(LearnerPrecision, Bfloat16TrainingEndsNearFloat32AndRollsOutFiniteFields) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  const int64_t n_traj = 8, n_time = 5, n = 8;
  test::write_fields(dir / "data.h5", n_traj, n_time, n, n, test::drifting_bumps(n_traj, n_time, 3), true);
  auto o = test::tiny_unet_options(150, 16, 4);
  const auto f32 = learner::train_model("sl", o, dir / "data.h5", 2, dir / "f32.pt", "", "");
  o.precision = "bfloat16";
  const auto bf16 = learner::train_model("sl", o, dir / "data.h5", 2, dir / "bf16.pt", "", "");

  // Float32 learns (0.93 -> 0.046 here: the first loss is the untrained network's), and
  // bfloat16's 8-bit mantissa moves the final loss by less than 5% (0.5% here).
  const auto losses = learner::read_model_info(dir / "f32.pt").losses;
  EXPECT_LT(f32.final_loss, 0.1 * losses.front());
  EXPECT_LT(std::abs(bf16.final_loss - f32.final_loss), 0.05 * f32.final_loss)
      << "float32 " << f32.final_loss << ", bfloat16 " << bf16.final_loss;

  learner::SampleOptions so;
  so.n_trajectories = 4;
  so.precision = "bfloat16";
  learner::sample_model(dir / "bf16.pt", so, dir / "data.h5", 5, dir / "bf16.h5");
  so.precision = "float32";
  learner::sample_model(dir / "bf16.pt", so, dir / "data.h5", 5, dir / "f32.h5");
  const auto a = DatasetReader(dir / "bf16.h5", "fields").read("t0_fields/u");
  const auto b = DatasetReader(dir / "f32.h5", "fields").read("t0_fields/u");
  ASSERT_EQ(a.size(), b.size());
  double largest = 0, difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(std::isfinite(a[i])) << "value " << i;
    largest = std::max(largest, std::abs(static_cast<double>(b[i])));
    difference = std::max(difference, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  // The same model and labels: the rollouts differ by bfloat16's rounding (0.008 of the largest
  // value here), not by their shape.
  EXPECT_LT(difference, 0.05 * largest);
  EXPECT_GT(difference, 0.0) << "the bfloat16 rollout ran in float32";
}

TEST(LearnerDevice, CudaWithoutAGpuIsAOneLineUsageError) {
  if (learner::cuda_available()) GTEST_SKIP() << "a CUDA device is present";
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  test::write_states(dir / "train.h5", 2, 4, 2, std::vector<float>(16, 0.5f));
  auto o = test::tiny_options(2, 4, 2);
  o.device = "cuda";
  const auto message = test::usage_message([&] { learner::train_model("sl", o, dir / "train.h5", 1, dir / "m.pt", "", ""); });
  EXPECT_NE(message.find("device cuda"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;

  // The whole command: exit 2, one line naming the file and the key, before simulate writes anything.
  test::write_file(dir / "c.yaml", "name: t\nseed: 1\noutput_dir: " + dir.path() + "/run\n"
                   "simulate: {system: duffing, n_train: 2, n_test: 2, n_floor: 2, n_time: 4}\n"
                   "train: {models: [sl], width: 8, depth: 1, iterations: 2, batch_size: 4, device: cuda}\n");
  const auto r = test::run(test::slift_bin() + " train " + dir / "c.yaml" + " -q 2>&1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(dir / "c.yaml: train.device: cuda"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << "one line: " << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "run/data")) << "refused before simulate";
}

}  // namespace
}  // namespace slift
