// Static fields as conditioning (data.condition_on): a toy whose next frame is decided by a
// per-trajectory static field. Given the field as an input channel, the label-free model fits
// it and its rollouts follow the field of the test trajectory they continue; without it, it can
// only average the two outcomes. Every field model takes the channels; bad names are refused.
#include <gtest/gtest.h>

#include <cmath>

#include "core/dataset.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/learner.hpp"
#include "support/test_support.hpp"
#include "toy_data.hpp"

namespace slift {
namespace {

constexpr int64_t kN = 8;  // grid side

struct Toy {
  std::vector<float> u, c;
  std::vector<int> right;  // per trajectory: the bump moves right (c = +1) or left (c = -1)
};

// Every trajectory starts from the same bump; the next frame has it two cells right where the
// trajectory's static field c is +1 and two cells left where it is -1 (flip: the opposite).
Toy toy(int64_t n_traj, uint64_t seed, bool flip = false) {
  Toy t;
  Rng rng(seed, 0, "test.conditioning");
  auto bump = [&](double cx) {
    for (int64_t x = 0; x < kN; ++x)
      for (int64_t y = 0; y < kN; ++y) {
        const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - 3.5;
        t.u.push_back(static_cast<float>(std::exp(-0.5 * (dx * dx + dy * dy))));
      }
  };
  for (int64_t i = 0; i < n_traj; ++i) {
    const bool right = rng.uniform() < 0.5;
    t.right.push_back(right);
    bump(3.5);
    bump(right ? 5.5 : 1.5);
    t.c.insert(t.c.end(), kN * kN, (right != flip) ? 1.0f : -1.0f);
  }
  return t;
}

learner::TrainOptions options(std::vector<std::string> condition_on) {
  auto o = test::tiny_unet_options(400, 16, 8);
  o.window = 1;
  o.lr = 5e-3;
  o.condition_on = std::move(condition_on);
  return o;
}

// Per sampled trajectory: whether frame 1's bump lies right of the centre.
std::vector<int> moved_right(const std::string& path) {
  const auto u = DatasetReader(path).read("t0_fields/u");
  std::vector<int> right;
  for (size_t start = kN * kN; start < u.size(); start += 2 * kN * kN) {
    double mass = 0, moment = 0;
    for (int64_t k = 0; k < kN * kN; ++k) mass += u[start + k], moment += u[start + k] * static_cast<double>(k / kN);
    right.push_back(moment / mass > 3.5);
  }
  return right;
}

TEST(LearnerConditioning, TheStaticFieldDecidesWhatTheLabelFreeModelAverages) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  const auto data = toy(16, 3);
  test::write_fields(dir / "data.h5", 16, 2, kN, kN, data.u, false, data.c);
  const auto with = learner::train_model("deterministic", options({"c"}), dir / "data.h5", 5, dir / "with.pt", "", "");
  const auto without = learner::train_model("deterministic", options({}), dir / "data.h5", 5, dir / "without.pt", "", "");
  EXPECT_GT(without.final_loss, 0.1) << "without the field: the mean of the two outcomes";
  EXPECT_LT(with.final_loss, 0.05 * without.final_loss) << "the field tells the outcomes apart";

  // Rollouts read the static field of the test trajectory they continue, normalised as in training:
  // flipping the test set's fields flips where the bumps go.
  const auto test = toy(16, 4), flipped = toy(16, 4, true);
  test::write_fields(dir / "test.h5", 16, 2, kN, kN, test.u, false, test.c);
  test::write_fields(dir / "flipped.h5", 16, 2, kN, kN, flipped.u, false, flipped.c);
  learner::SampleOptions so;
  so.device = "cpu";
  learner::sample_model(dir / "with.pt", so, dir / "test.h5", 1, dir / "gen.h5");
  learner::sample_model(dir / "with.pt", so, dir / "flipped.h5", 1, dir / "gen_flipped.h5");
  const auto right = moved_right(dir / "gen.h5"), right_flipped = moved_right(dir / "gen_flipped.h5");
  for (size_t i = 0; i < test.right.size(); ++i) {
    EXPECT_EQ(right[i], test.right[i]) << "trajectory " << i;
    EXPECT_EQ(right_flipped[i], !test.right[i]) << "trajectory " << i << " of the flipped set";
  }
}

TEST(LearnerConditioning, EveryFieldModelTakesTheChannelsAndSamples) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  const auto data = toy(8, 5);
  test::write_fields(dir / "data.h5", 8, 2, kN, kN, data.u, true, data.c);
  auto o = options({"c"});
  o.iterations = 5;
  learner::SampleOptions so;
  so.device = "cpu";
  so.n_trajectories = 3;
  for (const auto& [model, k] : std::vector<std::pair<std::string, int64_t>>{{"sl", 0}, {"deterministic", 0}, {"ardm", 2}}) {
    learner::train_model(model, o, dir / "data.h5", 1, dir / (model + ".pt"), "", "");
    learner::sample_model(dir / (model + ".pt"), so, dir / "data.h5", 2, dir / (model + ".h5"), k);
    EXPECT_EQ(DatasetReader(dir / (model + ".h5")).n_traj(), 3u) << model;
  }
  EXPECT_GT(learner::label_gradient_norm(dir / "sl.pt", dir / "data.h5", 4, 1, "cpu"), 0.0) << "the probe feeds the channels";
}

TEST(LearnerConditioning, NamesThatAreNoStaticFieldOfTheGridAreRefused) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  const auto data = toy(4, 6);
  test::write_fields(dir / "data.h5", 4, 2, kN, kN, data.u, false, data.c);
  auto refused = [&](const std::string& name) {
    return test::usage_message([&] { learner::train_model("sl", options({name}), dir / "data.h5", 1, dir / "m.pt", "", ""); });
  };
  EXPECT_NE(refused("u").find("'t0_fields/u' varies in time"), std::string::npos);
  EXPECT_NE(refused("kappa").find("no field 'kappa' in t0_fields"), std::string::npos);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"data.h5"}) << "nothing written";
}

TEST(LearnerConditioning, AStaticFieldOfAOneDimensionalGridIsOneMoreChannel) {
  // The static field's grid is the state's without its time axis, for any number of axes.
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  const int64_t n_traj = 4, n_time = 3, n = 16;
  std::vector<float> u, c;
  Rng rng(5, 0, "test.conditioning.1d");
  for (int64_t k = 0; k < n_traj * n_time * n; ++k) u.push_back(static_cast<float>(rng.normal()));
  for (int64_t k = 0; k < n_traj * n; ++k) c.push_back(static_cast<float>(1 + rng.uniform()));
  test::write_fields(dir / "data.h5", n_traj, n_time, std::vector<int64_t>{n}, u, {true}, c);
  auto o = options({"c"});
  o.iterations = 2;
  const auto with = learner::train_model("deterministic", o, dir / "data.h5", 1, dir / "with.pt", "", "");
  o.condition_on.clear();
  const auto without = learner::train_model("deterministic", o, dir / "data.h5", 1, dir / "without.pt", "", "");
  // One more input channel of the stem: a kernel of 3 cells per output channel.
  EXPECT_EQ(with.parameters - without.parameters, 3 * o.unet_widths.at(0));
}

}  // namespace
}  // namespace slift
