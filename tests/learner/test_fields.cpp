// Field models (UNet): train -> sample round trips for sl, deterministic and ardm write a fields
// dataset in the test set's layout; a UNet run resumes exactly; labels let SL fit a two-outcome
// problem the label-free model can only average.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/config.hpp"
#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/learner.hpp"
#include "learner/model_info.hpp"
#include "learner/transitions.hpp"
#include "support/test_support.hpp"
#include "toy_data.hpp"

namespace slift {
namespace {

constexpr int64_t kN = 8;  // grid side

// The train section of a config given as YAML text, parsed as `slift` parses it.
learner::TrainOptions parse(const std::string& yaml) {
  auto cfg = config::Config::from_string(yaml);
  auto root = cfg.root();
  auto train = root.section("train");
  return learner::parse_train(train);
}

TEST(LearnerFields, TrainAndSampleEveryModelWritesAFieldsDataset) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  const int64_t n_traj = 6, n_time = 5;
  const auto u = test::drifting_bumps(n_traj, n_time, 1);
  test::write_fields(dir / "data.h5", n_traj, n_time, kN, kN, u, true);
  const auto o = test::tiny_unet_options(20, 8, 4);

  learner::SampleOptions so;
  so.n_trajectories = 3;
  so.batch_size = 2;
  DatasetReader init(dir / "data.h5", "fields");
  for (const std::string model : {"sl", "deterministic", "ardm"}) {
    SCOPED_TRACE(model);
    const auto r = learner::train_model(model, o, dir / "data.h5", 2, dir / (model + ".pt"), "", "model: " + model);
    EXPECT_EQ(r.steps, 20);
    EXPECT_TRUE(std::isfinite(r.final_loss));
    EXPECT_EQ(learner::read_model_info(dir / (model + ".pt")).arch, "unet");
    const int64_t K = model == "ardm" ? 2 : 0;
    const auto s = learner::sample_model(dir / (model + ".pt"), so, dir / "data.h5", 3, dir / (model + ".h5"), K);
    EXPECT_EQ(s.n_trajectories, 3);
    EXPECT_EQ(s.nfe_per_step, model == "ardm" ? 2.0 : 1.0);

    DatasetReader gen(dir / (model + ".h5"), "fields");
    ASSERT_EQ(gen.n_traj(), 3u);
    EXPECT_EQ(gen.array_paths(), std::vector<std::string>{"t0_fields/u"}) << "the learned array only";
    EXPECT_EQ(gen.spec("t0_fields/u").shape, (std::vector<uint64_t>{n_time, kN, kN}));
    EXPECT_EQ(gen.header().time, init.header().time);
    ASSERT_EQ(gen.header().axes.size(), 2u);
    EXPECT_EQ(gen.header().axes[0].coordinates, init.header().axes[0].coordinates);
    EXPECT_EQ(gen.header().boundary_conditions.size(), 2u);
    EXPECT_EQ(gen.header().simulation_parameters.at("nfe_per_step"), s.nfe_per_step);
    const auto x = gen.read("t0_fields/u");
    for (int64_t c = 0; c < kN * kN; ++c) EXPECT_EQ(x[c], u[c]) << "frame 0 is the test set's";
    for (float v : x) ASSERT_TRUE(std::isfinite(v));
  }
  // Labels matter for SL only; field models have no one-step probe; K goes with ARDM only.
  EXPECT_GT(learner::label_gradient_norm(dir / "sl.pt", dir / "data.h5", 10, 1, "cpu"), 0.0);
  EXPECT_EQ(learner::label_gradient_norm(dir / "deterministic.pt", dir / "data.h5", 10, 1, "cpu"), 0.0);
  EXPECT_THROW(learner::one_step_samples(dir / "sl.pt", std::vector<float>(2 * kN * kN), 1, 2, 1), Error);
  EXPECT_THROW(learner::sample_model(dir / "ardm.pt", so, dir / "data.h5", 3, dir / "bad.h5", 0), Error);
  EXPECT_THROW(learner::sample_model(dir / "sl.pt", so, dir / "data.h5", 3, dir / "bad.h5", 2), Error);
  auto mlp = o;
  mlp.arch = "mlp";
  EXPECT_THROW(learner::train_model("ardm", mlp, dir / "data.h5", 2, dir / "bad.pt", "", ""), Error);
  EXPECT_THROW(learner::train_model("sl", mlp, dir / "data.h5", 2, dir / "bad.pt", "", ""), Error);
}

TEST(LearnerFields, StoppedAndResumedUNetRunMatchesStraightRun) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  test::write_fields(dir / "data.h5", 4, 4, kN, kN, test::drifting_bumps(4, 4, 2), false);
  auto o = test::tiny_unet_options(12, 4, 4);
  o.checkpoint_every = 5;
  o.grad_clip = 1.0;
  for (const std::string model : {"sl", "ardm"}) {
    SCOPED_TRACE(model);
    o.stop_after = 0;
    learner::train_model(model, o, dir / "data.h5", 4, dir / (model + "_a.pt"), dir / (model + "_a.ckpt"), "");
    o.stop_after = 7;
    learner::train_model(model, o, dir / "data.h5", 4, dir / (model + "_b.pt"), dir / (model + "_b.ckpt"), "");
    EXPECT_FALSE(std::filesystem::exists(dir / (model + "_b.pt")));
    o.stop_after = 0;
    learner::train_model(model, o, dir / "data.h5", 4, dir / (model + "_b.pt"), dir / (model + "_b.ckpt"), "");
    const auto a = learner::read_model_info(dir / (model + "_a.pt")), b = learner::read_model_info(dir / (model + "_b.pt"));
    ASSERT_EQ(a.losses.size(), 12u);
    ASSERT_EQ(b.losses.size(), 12u);
    for (size_t i = 0; i < a.losses.size(); ++i) EXPECT_EQ(a.losses[i], b.losses[i]) << "step " << i + 1;
    ASSERT_EQ(a.parameters.size(), b.parameters.size());
    for (size_t i = 0; i < a.parameters.size(); ++i) ASSERT_EQ(a.parameters[i], b.parameters[i]) << "weight " << i;
  }
}

TEST(LearnerFields, LabelsFitTwoOutcomesTheLabelFreeModelAverages) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  // Every trajectory starts from the same bump; its next frame is the bump moved left or right
  // (chosen at random per trajectory): the label-free optimum is the average of the two.
  const int64_t n_traj = 16;
  std::vector<float> u;
  Rng rng(3, 0, "test.outcomes");
  auto bump = [&](double cx) {
    for (int64_t x = 0; x < kN; ++x)
      for (int64_t y = 0; y < kN; ++y) {
        const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - 3.5;
        u.push_back(static_cast<float>(std::exp(-0.5 * (dx * dx + dy * dy))));
      }
  };
  for (int64_t i = 0; i < n_traj; ++i) {
    bump(3.5);
    bump(rng.uniform() < 0.5 ? 1.5 : 5.5);
  }
  test::write_fields(dir / "data.h5", n_traj, 2, kN, kN, u, false);
  auto o = test::tiny_unet_options(400, 16, 8);
  o.window = 1;
  o.lr = 5e-3;
  const auto sl = learner::train_model("sl", o, dir / "data.h5", 5, dir / "sl.pt", "", "");
  const auto det = learner::train_model("deterministic", o, dir / "data.h5", 5, dir / "det.pt", "", "");
  EXPECT_GT(det.final_loss, 0.1) << "the label-free model can only predict the mean";
  EXPECT_LT(sl.final_loss, 0.05 * det.final_loss) << "labels tell the outcomes apart";
}

// The direct map (train.target final, paper figure 4 right): one transition per trajectory from
// frame 0 to the last frame, sampled in one evaluation into a two-frame dataset. The data: a bump
// that stays put for three frames and then jumps left or right in the last one. Rolled out, the
// first transitions are "stay"; the direct SL model must instead put every sample on one of the
// two final outcomes, and the label-free direct model on their average.
TEST(LearnerFields, DirectMapGoesFromTheFirstFrameToTheLastInOneEvaluation) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  const int64_t n_traj = 16, n_time = 4, cells = kN * kN;
  std::vector<float> u, left, right;
  auto bump = [&](double cx) {
    std::vector<float> f;
    for (int64_t x = 0; x < kN; ++x)
      for (int64_t y = 0; y < kN; ++y) {
        const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - 3.5;
        f.push_back(static_cast<float>(std::exp(-0.5 * (dx * dx + dy * dy))));
      }
    return f;
  };
  left = bump(1.5), right = bump(5.5);
  Rng rng(7, 0, "test.direct");
  for (int64_t i = 0; i < n_traj; ++i) {
    for (int64_t t = 0; t + 1 < n_time; ++t) {
      const auto f = bump(3.5);
      u.insert(u.end(), f.begin(), f.end());
    }
    const auto& last = rng.uniform() < 0.5 ? left : right;
    u.insert(u.end(), last.begin(), last.end());
  }
  test::write_fields(dir / "data.h5", n_traj, n_time, kN, kN, u, false);

  // One transition per trajectory: the window of copies of frame 0 -> the last frame.
  const auto data = learner::read_trajectories(dir / "data.h5");
  const auto rows = learner::transition_rows(data, 2, 0.0, 1, /*final=*/true);
  ASSERT_EQ(rows.n, n_traj);
  for (int64_t i = 0; i < n_traj; ++i) {
    EXPECT_EQ(rows.inputs[i * 2], i * n_time);
    EXPECT_EQ(rows.inputs[i * 2 + 1], i * n_time);
    EXPECT_EQ(rows.targets[i], i * n_time + n_time - 1);
  }

  auto o = test::tiny_unet_options(400, 16, 8);
  o.window = 1;
  o.lr = 5e-3;
  o.target = "final";
  const auto sl = learner::train_model("sl", o, dir / "data.h5", 5, dir / "sl.pt", "", "");
  const auto det = learner::train_model("deterministic", o, dir / "data.h5", 5, dir / "det.pt", "", "");
  EXPECT_GT(det.final_loss, 0.1) << "the label-free direct map can only predict the mean final frame";
  EXPECT_LT(sl.final_loss, 0.05 * det.final_loss) << "labels tell the final outcomes apart";

  learner::SampleOptions so;
  so.n_trajectories = 32;
  so.batch_size = 8;
  const auto r = learner::sample_model(dir / "sl.pt", so, dir / "data.h5", 9, dir / "sl.h5");
  EXPECT_EQ(r.nfe_per_step, 1.0);
  DatasetReader gen(dir / "sl.h5", "fields");
  DatasetReader truth(dir / "data.h5", "fields");
  EXPECT_EQ(gen.spec("t0_fields/u").shape, (std::vector<uint64_t>{2, kN, kN})) << "frame 0 and the final frame";
  EXPECT_EQ(gen.header().time, (std::vector<double>{truth.header().time.front(), truth.header().time.back()}));
  const auto x = gen.read("t0_fields/u");
  auto rms = [&](const float* a, const std::vector<float>& b) {
    double s = 0;
    for (int64_t c = 0; c < cells; ++c) s += (a[c] - b[c]) * (a[c] - b[c]);
    return std::sqrt(s / static_cast<double>(cells));
  };
  std::vector<float> mean(cells);
  for (int64_t c = 0; c < cells; ++c) mean[c] = 0.5f * (left[c] + right[c]);
  // Fresh labels fall between the training labels, so some samples blend the outcomes; most
  // must sit nearer an outcome than the average, and both outcomes must be drawn.
  int64_t n_left = 0, n_right = 0, n_outcome = 0;
  for (int64_t i = 0; i < 32; ++i) {
    for (int64_t c = 0; c < cells; ++c) ASSERT_EQ(x[(i * 2) * cells + c], u[c]) << "frame 0 is the test set's";
    const float* last = &x[(i * 2 + 1) * cells];
    const double dl = rms(last, left), dr = rms(last, right);
    n_outcome += std::min(dl, dr) < rms(last, mean);
    (dl < dr ? n_left : n_right)++;
  }
  EXPECT_GE(n_outcome, 20) << "samples lie on the outcomes, not on their average";
  EXPECT_GT(n_left, 4) << "both outcomes are drawn";
  EXPECT_GT(n_right, 4) << "both outcomes are drawn";
  // The label-free direct map puts every sample on the average.
  learner::sample_model(dir / "det.pt", so, dir / "data.h5", 9, dir / "det.h5");
  const auto xd = DatasetReader(dir / "det.h5", "fields").read("t0_fields/u");
  for (int64_t i = 0; i < 32; ++i) {
    const float* last = &xd[(i * 2 + 1) * cells];
    EXPECT_LT(rms(last, mean), std::min(rms(last, left), rms(last, right))) << "deterministic sample " << i;
  }
  EXPECT_THROW(learner::sample_model(dir / "sl.pt", so, dir / "data.h5", 9, dir / "bad.h5", 2), Error);

  // Config: the direct map is for fields (unet) and one-step models only.
  EXPECT_EQ(parse("train: {arch: unet, target: final}").target, "final");
  EXPECT_EQ(parse("train: {arch: unet}").target, "next");
  EXPECT_THROW(parse("train: {arch: unet, target: last}"), Error);
  EXPECT_THROW(parse("train: {arch: mlp, target: final}"), Error);
  EXPECT_THROW(parse("train: {arch: unet, target: final, models: [sl, ardm]}"), Error);
  auto mlp = o;
  mlp.arch = "mlp";
  EXPECT_THROW(learner::train_model("sl", mlp, dir / "data.h5", 5, dir / "bad.pt", "", ""), Error);
}

// output extrapolation: the network corrects 2 x_t - x_{t-1}; its scale is the pooled std of
// that residual, which on fields linear in time is b at t = 0 (window of copies of x_0) and 0
// after. label_channels: the label also enters as input channels; both round-trip through
// training and sampling.
TEST(LearnerFields, ExtrapolationOutputAndLabelChannels) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  const int64_t n_traj = 3, n_time = 5, cells = kN * kN;
  std::vector<float> u;
  double sum_b = 0, sum_b2 = 0;
  for (int64_t i = 0; i < n_traj; ++i)
    for (int64_t t = 0; t < n_time; ++t)
      for (int64_t c = 0; c < cells; ++c) {
        const double a = 0.1 * static_cast<double>(c % 7), b = 0.01 * static_cast<double>((c + i) % 5);
        u.push_back(static_cast<float>(a + b * static_cast<double>(t)));
        if (t == 0) sum_b += b, sum_b2 += b * b;
      }
  test::write_fields(dir / "data.h5", n_traj, n_time, kN, kN, u, true);
  const auto data = learner::read_trajectories(dir / "data.h5");
  const auto rows = learner::transition_rows(data, 2, 0.0, 1);
  const double count = static_cast<double>(n_traj * (n_time - 1) * cells);
  const double mean = sum_b / count, expected = std::sqrt(sum_b2 / count - mean * mean);
  EXPECT_NEAR(learner::fit_pooled_normalisation(data, rows, true).out_scale[0], expected, 1e-6 * expected);
  // Increments: b at every step.
  const double n_b = static_cast<double>(n_traj * cells), mean_inc = sum_b / n_b;
  const double increment = std::sqrt(sum_b2 / n_b - mean_inc * mean_inc);
  EXPECT_NEAR(learner::fit_pooled_normalisation(data, rows, false).out_scale[0], increment, 1e-6 * increment);

  auto o = test::tiny_unet_options(20, 8, 4);
  o.output = "extrapolation";
  o.label_channels = true;
  learner::train_model("sl", o, dir / "data.h5", 2, dir / "sl.pt", "", "");
  learner::SampleOptions so;
  so.n_trajectories = 2;
  learner::sample_model(dir / "sl.pt", so, dir / "data.h5", 3, dir / "sl.h5");
  const auto x = DatasetReader(dir / "sl.h5", "fields").read("t0_fields/u");
  ASSERT_EQ(x.size(), static_cast<size_t>(2 * n_time * cells));
  for (int64_t c = 0; c < cells; ++c) EXPECT_EQ(x[c], u[c]);
  for (float v : x) ASSERT_TRUE(std::isfinite(v));
  EXPECT_GT(learner::label_gradient_norm(dir / "sl.pt", dir / "data.h5", 4, 1, "cpu"), 0.0);

  EXPECT_EQ(parse("train: {arch: unet, window: 2, output: extrapolation}").output, "extrapolation");
  EXPECT_THROW(parse("train: {arch: unet, window: 1, output: extrapolation}"), Error);
  EXPECT_THROW(parse("train: {arch: mlp, window: 2, output: extrapolation}"), Error);
  EXPECT_THROW(parse("train: {arch: mlp, label_channels: true}"), Error);
  auto one = o;
  one.window = 1;
  EXPECT_THROW(learner::train_model("sl", one, dir / "data.h5", 2, dir / "bad.pt", "", ""), Error);
}

}  // namespace
}  // namespace slift
