// A run stopped at a checkpoint and resumed ends with the same loss curve and weights as a run
// that went straight through (weights, AdamW state, minibatch RNG and step all restored).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/log.hpp"
#include "learner/learner.hpp"
#include "learner/model_info.hpp"
#include "support/test_support.hpp"
#include "toy_data.hpp"

namespace slift {
namespace {

TEST(LearnerResume, StoppedAndResumedRunMatchesStraightRun) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  test::write_random_walks(dir / "train.h5");
  auto o = test::tiny_options(40, 16, 4);
  o.checkpoint_every = 7;  // the stop at 20 is not on the checkpoint grid: it writes one anyway
  o.grad_clip = 1.0;

  const auto straight = learner::train_model("sl", o, dir / "train.h5", 4, dir / "a.pt", dir / "a.ckpt", "");
  EXPECT_EQ(straight.steps, 40);
  EXPECT_FALSE(std::filesystem::exists(dir / "a.ckpt")) << "a finished run removes its checkpoint";

  o.stop_after = 20;
  const auto half = learner::train_model("sl", o, dir / "train.h5", 4, dir / "b.pt", dir / "b.ckpt", "");
  EXPECT_EQ(half.steps, 20);
  EXPECT_TRUE(std::filesystem::exists(dir / "b.ckpt"));
  EXPECT_FALSE(std::filesystem::exists(dir / "b.pt")) << "a stopped run writes no model file";
  o.stop_after = 0;
  const auto resumed = learner::train_model("sl", o, dir / "train.h5", 4, dir / "b.pt", dir / "b.ckpt", "");
  EXPECT_EQ(resumed.steps, 40);
  EXPECT_DOUBLE_EQ(resumed.final_loss, straight.final_loss);

  const auto a = learner::read_model_info(dir / "a.pt"), b = learner::read_model_info(dir / "b.pt");
  ASSERT_EQ(a.losses.size(), 40u);
  ASSERT_EQ(b.losses.size(), 40u);
  for (size_t i = 0; i < a.losses.size(); ++i) EXPECT_EQ(a.losses[i], b.losses[i]) << "step " << i + 1;
  ASSERT_EQ(a.parameters.size(), b.parameters.size());
  for (size_t i = 0; i < a.parameters.size(); ++i) ASSERT_EQ(a.parameters[i], b.parameters[i]) << "weight " << i;

  // A checkpoint of another run (different seed) is not resumed: that run starts over.
  o.stop_after = 20;
  learner::train_model("sl", o, dir / "train.h5", 4, dir / "c.pt", dir / "c.ckpt", "");
  o.stop_after = 0;
  const auto other = learner::train_model("sl", o, dir / "train.h5", 5, dir / "c.pt", dir / "c.ckpt", "");
  EXPECT_EQ(learner::read_model_info(dir / "c.pt").losses.size(), 40u);
  EXPECT_NE(other.final_loss, straight.final_loss);
}

}  // namespace
}  // namespace slift
