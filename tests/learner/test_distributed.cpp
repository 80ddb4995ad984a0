// Data-parallel training (learner/distributed.hpp) under a real `mpiexec -n 2`: 2 ranks with a
// global batch B follow the loss curve of 1 rank with batch B (the same batch draws, labels and
// ARDM draws; only the order of the gradient sums differs), for the MLP and the UNet and every
// model; an uneven split is refused; a 2-rank run stopped at a checkpoint and resumed ends bit
// for bit where an uninterrupted 2-rank run ends. Through `slift`: `mpiexec -n 2 slift train`
// and `slift train --set train.ranks=2` (which starts mpiexec itself) give the same model.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <tuple>

#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/model_info.hpp"
#include "support/test_support.hpp"
#include "toy_data.hpp"

namespace slift {
namespace {

using test::kMpiexec;
using test::run;

// Reduction order only: float32 sums in another order, carried through 50 AdamW steps
// (measured here: at most 2e-6 relative over 50 steps; the bound leaves 50x for other CPUs' kernels).
constexpr double kCurveTolerance = 1e-4;

// 16 trajectories of 10 states in 2-D turning on damped circles from random starts, plus noise:
// a map the MLP learns within 50 steps.
void write_circles(const std::string& path) {
  std::vector<float> states;
  Rng rng(2, 0, "test.circles");
  for (int i = 0; i < 16; ++i) {
    double x = rng.normal(), y = rng.normal();
    for (int t = 0; t < 10; ++t) {
      states.insert(states.end(), {static_cast<float>(x), static_cast<float>(y)});
      const double c = 0.95 * std::cos(0.5), s = 0.95 * std::sin(0.5);
      std::tie(x, y) = std::make_pair(c * x - s * y + 0.01 * rng.normal(), s * x + c * y + 0.01 * rng.normal());
    }
  }
  test::write_states(path, 16, 10, 2, states);
}

std::string train_cmd(const std::string& data, const std::string& arch, const std::string& model, int batch,
                      int iterations, int stop_after, const std::string& prefix) {
  return std::string(SLIFT_DP_HELPER) + " " + data + " " + arch + " " + model + " " + std::to_string(batch) + " " +
         std::to_string(iterations) + " " + std::to_string(stop_after) + " " + prefix;
}

void expect_close_curves(const learner::ModelInfo& a, const learner::ModelInfo& b, double tolerance) {
  ASSERT_EQ(a.losses.size(), b.losses.size());
  double worst = 0;
  for (size_t i = 0; i < a.losses.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(a.losses[i]) - b.losses[i]) / std::abs(static_cast<double>(a.losses[i])));
  EXPECT_LE(worst, tolerance) << "largest relative difference of the loss curves";
  std::printf("largest relative difference of the loss curves: %.2e\n", worst);
  EXPECT_GT(a.losses.front(), 1.5 * a.losses.back()) << "the runs learned";
}

struct Case {
  std::string arch, model;
};

class TwoRanksMatchOne : public ::testing::TestWithParam<Case> {};

TEST_P(TwoRanksMatchOne, LossCurvesAgreeOver50Steps) {
  const auto [arch, model] = GetParam();
  test::TempDir dir;
  const std::string data = dir / "train.h5";
  if (arch == "mlp") write_circles(data);
  else test::write_fields(data, 8, 6, 8, 8, test::drifting_bumps(8, 6, 1), true);
  const int batch = 16, steps = 50;
  auto r = run(train_cmd(data, arch, model, batch, steps, 0, dir / "one"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run(kMpiexec + " -n 2 " + train_cmd(data, arch, model, batch, steps, 0, dir / "two"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto one = learner::read_model_info(dir / "one.pt"), two = learner::read_model_info(dir / "two.pt");
  ASSERT_EQ(one.losses.size(), 50u);
  expect_close_curves(one, two, kCurveTolerance);
}

INSTANTIATE_TEST_SUITE_P(Models, TwoRanksMatchOne,
                         ::testing::Values(Case{"mlp", "sl"}, Case{"mlp", "deterministic"}, Case{"unet", "sl"},
                                           Case{"unet", "ardm"}),
                         [](const auto& info) { return info.param.arch + "_" + info.param.model; });

TEST(DataParallel, UnevenSplitIsRefused) {
  test::TempDir dir;
  write_circles(dir / "train.h5");
  const auto r = run(kMpiexec + " -n 2 " + train_cmd(dir / "train.h5", "mlp", "sl", 15, 10, 0, dir / "m"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("train.batch_size 15 does not split evenly over 2 ranks"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.ckpt"));
}

TEST(DataParallel, StoppedTwoRankRunResumesToTheUninterruptedRun) {
  test::TempDir dir;
  const std::string data = dir / "train.h5";
  write_circles(data);
  const std::string mpi2 = kMpiexec + " -n 2 ";
  auto r = run(mpi2 + train_cmd(data, "mlp", "sl", 16, 40, 0, dir / "straight"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run(mpi2 + train_cmd(data, "mlp", "sl", 16, 40, 20, dir / "resumed"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(std::filesystem::exists(dir / "resumed.ckpt"));
  ASSERT_FALSE(std::filesystem::exists(dir / "resumed.pt"));
  r = run(mpi2 + train_cmd(data, "mlp", "sl", 16, 40, 0, dir / "resumed"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto a = learner::read_model_info(dir / "straight.pt"), b = learner::read_model_info(dir / "resumed.pt");
  ASSERT_EQ(a.losses.size(), 40u);
  ASSERT_EQ(b.losses.size(), 40u);
  for (size_t i = 0; i < a.losses.size(); ++i) EXPECT_EQ(a.losses[i], b.losses[i]) << "step " << i + 1;
  ASSERT_EQ(a.parameters.size(), b.parameters.size());
  for (size_t i = 0; i < a.parameters.size(); ++i) ASSERT_EQ(a.parameters[i], b.parameters[i]) << "weight " << i;

  // The state is the same for any rank count: one rank resumes the 2-rank checkpoint and ends
  // where the 2-rank run ends, up to the order of the sums.
  r = run(mpi2 + train_cmd(data, "mlp", "sl", 16, 40, 20, dir / "switched"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run(train_cmd(data, "mlp", "sl", 16, 40, 0, dir / "switched"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_close_curves(a, learner::read_model_info(dir / "switched.pt"), kCurveTolerance);
}

// The pipeline: the training stage on every rank of `mpiexec -n 2 slift train`, and on the
// ranks `slift train` starts itself for train.ranks = 2: the same model file, and only rank 0
// writes the stage's outputs.
TEST(DataParallel, SliftTrainOnTwoRanks) {
  test::TempDir dir;
  const std::string config = test::source_dir() + "/configs/duffing.yaml --threads 1 --set 'train.models=[sl]'" +
                             " --set simulate.n_train=20 --set simulate.n_test=20 --set simulate.n_time=10" +
                             " --set train.iterations=50 --set train.batch_size=64 --set train.width=32";
  const std::string slift = test::slift_bin();
  auto r = run(kMpiexec + " -n 2 " + slift + " train " + config + " --set output_dir=" + (dir / "mpirun"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run("SLIFT_MPIRUN='" + kMpiexec + "' " + slift + " train " + config + " --set train.ranks=2 --set output_dir=" +
          (dir / "ranks"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("on 2 ranks"), std::string::npos) << r.output;
  for (const std::string& run_dir : {dir / "mpirun", dir / "ranks"}) {
    EXPECT_TRUE(std::filesystem::exists(run_dir + "/models/sl.json")) << run_dir;
    EXPECT_FALSE(std::filesystem::exists(run_dir + "/models/sl.ckpt")) << run_dir;
  }
  const auto a = learner::read_model_info(dir / "mpirun/models/sl.pt");
  const auto b = learner::read_model_info(dir / "ranks/models/sl.pt");
  ASSERT_EQ(a.losses.size(), 50u);
  EXPECT_EQ(a.losses, b.losses);
  EXPECT_EQ(a.parameters, b.parameters);

  // A launcher that is not there: one line naming it and the variable, not a shell's "not found".
  r = run("SLIFT_MPIRUN='/nonexistent/mpirun --flag' " + slift + " train " + config +
          " --set train.ranks=2 --set output_dir=" + (dir / "nolauncher"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot start /nonexistent/mpirun: No such file or directory (SLIFT_MPIRUN"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "nolauncher/models/sl.ranks.yaml"));

  // Uneven: refused while the config is read, or by rank 0 before any stage runs under a
  // launcher; nothing written either way.
  r = run(slift + " train " + config + " --set train.ranks=3 --set output_dir=" + (dir / "uneven"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("train.ranks"), std::string::npos) << r.output;
  r = run(kMpiexec + " -n 3 " + slift + " train " + config + " --set output_dir=" + (dir / "uneven"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("train.batch_size: 64 does not split evenly over the 3 ranks"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("error (rank"), std::string::npos) << "rank 0 alone says it\n" << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "uneven"));
}

}  // namespace
}  // namespace slift
