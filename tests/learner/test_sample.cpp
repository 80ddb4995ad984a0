// Rollouts write a complete "states" dataset in the layout of the initial-state set.
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

TEST(LearnerSample, WritesDatasetOfTheRightShapeWithOneEvaluationPerStep) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  const int64_t n_init = 3, n_time = 7, dim = 2;
  std::vector<float> states;
  Rng rng(8, 0, "test.states");
  for (int64_t k = 0; k < n_init * n_time * dim; ++k) states.push_back(static_cast<float>(rng.normal()));
  test::write_states(dir / "data.h5", n_init, n_time, dim, states);
  auto o = test::tiny_options(20, 8, 4);
  o.window = 2;
  learner::train_model("sl", o, dir / "data.h5", 1, dir / "sl.pt", dir / "sl.ckpt", "model: sl");

  learner::SampleOptions so;
  so.n_trajectories = 5;  // more than the initial states: trajectory i starts from i mod 3
  so.batch_size = 2;
  const auto r = learner::sample_model(dir / "sl.pt", so, dir / "data.h5", 3, dir / "gen.h5");
  EXPECT_EQ(r.n_trajectories, 5);
  EXPECT_EQ(r.nfe_per_step, 1.0);

  DatasetReader gen(dir / "gen.h5", "states");
  DatasetReader init(dir / "data.h5", "states");
  ASSERT_EQ(gen.n_traj(), 5u);
  ASSERT_EQ(gen.spec("states").shape, (std::vector<uint64_t>{n_time, dim}));
  EXPECT_EQ(gen.header().time, init.header().time);
  EXPECT_EQ(gen.header().state_names, init.header().state_names);
  EXPECT_EQ(gen.header().simulation_parameters.at("nfe_per_step"), 1.0);
  EXPECT_EQ(gen.header().config_yaml, "model: sl");
  const auto x = gen.read("states");
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t c = 0; c < dim; ++c)
      EXPECT_EQ(x[(i * n_time) * dim + c], states[((i % n_init) * n_time) * dim + c]) << "initial state of " << i;
  for (float v : x) ASSERT_TRUE(std::isfinite(v));
  EXPECT_NE(x[(0 * n_time + 6) * dim], x[(3 * n_time + 6) * dim]) << "same start, fresh labels: different paths";

  // Labels come from per-trajectory streams: the batch size does not change the result.
  so.batch_size = 5;
  learner::sample_model(dir / "sl.pt", so, dir / "data.h5", 3, dir / "gen5.h5");
  const auto y = DatasetReader(dir / "gen5.h5", "states").read("states");
  ASSERT_EQ(x.size(), y.size());
  for (size_t k = 0; k < x.size(); ++k) EXPECT_NEAR(x[k], y[k], 1e-5);
}

}  // namespace
}  // namespace slift
