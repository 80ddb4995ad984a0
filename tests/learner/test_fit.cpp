// What the labels do: without them the MSE minimiser is the conditional mean (collapse); with
// them the network interpolates the training transitions and its output varies with the label.
#include <gtest/gtest.h>

#include <cmath>

#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/learner.hpp"
#include "learner/model_info.hpp"
#include "support/test_support.hpp"
#include "toy_data.hpp"

namespace slift {
namespace {

double mean(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return s / static_cast<double>(v.size());
}
double stddev(const std::vector<float>& v) {
  const double m = mean(v);
  double s = 0;
  for (float x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}

// Two outcomes from one state: x0 = 0.5 goes to 1.5 or -0.5 with equal frequency.
void write_two_outcomes(const std::string& path) {
  std::vector<float> states;
  for (int i = 0; i < 16; ++i) states.insert(states.end(), {0.5f, i % 2 ? 1.5f : -0.5f});
  test::write_states(path, 16, 2, 1, states);
}

TEST(LearnerFit, DeterministicModelCollapsesToTheMean) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  write_two_outcomes(dir / "train.h5");
  auto o = test::tiny_options(300, 16, 0);
  o.models = {"deterministic"};
  const auto r = learner::train_model("deterministic", o, dir / "train.h5", 3, dir / "det.pt", dir / "det.ckpt", "");
  // The best a label-free model can do is the mean (0.5) with loss = variance of the normalised
  // increment (1).
  EXPECT_NEAR(r.final_loss, 1.0, 0.05);
  const auto next = learner::one_step_samples(dir / "det.pt", {0.5f}, 1, 50, 7);
  EXPECT_NEAR(mean(next), 0.5, 0.05);
  EXPECT_LT(stddev(next), 1e-5) << "a model without labels must give one answer per state";
  EXPECT_EQ(learner::label_gradient_norm(dir / "det.pt", dir / "train.h5", 16, 1, "cpu"), 0.0);
}

TEST(LearnerFit, LabelsLetTheModelInterpolate) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  // A handful of transitions with random targets from two states: no function of the state fits
  // them, a function of state and label does.
  std::vector<float> states;
  Rng rng(11, 0, "test.targets");
  for (int i = 0; i < 8; ++i) {
    const float x0 = i % 2 ? 1.0f : -1.0f, y0 = 0.0f;
    states.insert(states.end(), {x0, y0, x0 + static_cast<float>(rng.normal()), y0 + static_cast<float>(rng.normal())});
  }
  test::write_states(dir / "train.h5", 8, 2, 2, states);
  const auto o = test::tiny_options(600, 8, 8);
  const auto sl = learner::train_model("sl", o, dir / "train.h5", 5, dir / "sl.pt", dir / "sl.ckpt", "");
  const auto det = learner::train_model("deterministic", o, dir / "train.h5", 5, dir / "det.pt", dir / "det.ckpt", "");
  EXPECT_LT(sl.final_loss, 1e-3);
  EXPECT_GT(det.final_loss, 0.3);
  EXPECT_LT(sl.final_loss / det.final_loss, 1e-2) << "interpolation ratio";
  EXPECT_EQ(learner::read_model_info(dir / "sl.pt").losses.size(), 600u);

  // Fresh labels at a training state give a spread of next states, as the data have.
  const auto next = learner::one_step_samples(dir / "sl.pt", {1.0f, 0.0f}, 1, 200, 9);
  std::vector<float> x;
  for (size_t k = 0; k < next.size(); k += 2) x.push_back(next[k]);
  EXPECT_GT(stddev(x), 0.2);
  EXPECT_GT(learner::label_gradient_norm(dir / "sl.pt", dir / "train.h5", 8, 1, "cpu"), 0.0);
}

}  // namespace
}  // namespace slift
