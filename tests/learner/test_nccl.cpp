// Data-parallel training on GPUs (learner/distributed.hpp): `mpiexec -n 2`, one rank per GPU, with
// the gradients summed over NCCL on the device (a build with SLIFT_WITH_NCCL), against one rank
// on one GPU with the same global batch. Skips with a message without two CUDA devices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/log.hpp"
#include "learner/learner.hpp"
#include "learner/model_info.hpp"
#include "support/test_support.hpp"
#include "toy_data.hpp"

namespace slift {
namespace {

// Only the order of the gradient sums differs (NCCL's ring or tree against one rank's batch
// sum), carried through 50 deterministic AdamW steps: the CPU's MPI test bounds the loss curves
// by 1e-4 relative; the weights here by 1e-4 of the largest weight.
constexpr double kTolerance = 1e-4;

// The helper as built, or where SLIFT_DP_HELPER says (a scripts/gpu-bundle.sh bundle on another machine).
std::string helper() {
  const char* moved = std::getenv("SLIFT_DP_HELPER");
  return moved ? moved : SLIFT_DP_HELPER;
}

std::string train_cmd(const std::string& data, const std::string& model, const std::string& prefix) {
  return helper() + " " + data + " unet " + model + " 16 50 0 " + prefix + " cuda";
}

TEST(Nccl, TwoGpusGiveTheWeightsOfOne) {
  if (learner::cuda_device_count() < 2)
    GTEST_SKIP() << "needs two CUDA devices (" << learner::cuda_device_count()
                 << " here): NCCL data parallelism runs on a machine with several GPUs (scripts/gpu-check.sh)";
  log::set_level(log::Level::quiet);
  for (const std::string model : {"sl", "ardm"}) {
    SCOPED_TRACE(model);
    test::TempDir dir;
    test::write_fields(dir / "train.h5", 8, 6, 8, 8, test::drifting_bumps(8, 6, 1), true);
    auto r = test::run(train_cmd(dir / "train.h5", model, dir / "one"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = test::run(test::kMpiexec + " -n 2 " + train_cmd(dir / "train.h5", model, dir / "two"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto one = learner::read_model_info(dir / "one.pt"), two = learner::read_model_info(dir / "two.pt");
    ASSERT_EQ(one.losses.size(), 50u);
    ASSERT_EQ(two.losses.size(), 50u);
    double curve = 0, weights = 0, largest = 0;
    for (size_t i = 0; i < one.losses.size(); ++i)
      curve = std::max(curve, std::abs(static_cast<double>(one.losses[i]) - two.losses[i]) / std::abs(one.losses[i]));
    ASSERT_EQ(one.parameters.size(), two.parameters.size());
    for (size_t i = 0; i < one.parameters.size(); ++i) {
      weights = std::max(weights, std::abs(static_cast<double>(one.parameters[i]) - two.parameters[i]));
      largest = std::max(largest, std::abs(static_cast<double>(one.parameters[i])));
    }
    std::printf("%s: largest relative difference of the loss curves %.2e, of the weights %.2e\n", model.c_str(), curve,
                weights / largest);
    EXPECT_LE(curve, kTolerance);
    EXPECT_LE(weights, kTolerance * largest);
    EXPECT_GT(one.losses.front(), 1.5 * one.losses.back()) << "the runs learned";
  }
}

}  // namespace
}  // namespace slift
