// The data of an Allen-Cahn run do not depend on the number of MPI ranks nor threads.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/dataset.hpp"
#include "support/test_support.hpp"

namespace slift {
namespace {

TEST(AllenCahnMpi, OneAndTwoRanksAndThreadsWriteByteIdenticalData) {
  test::TempDir dir;
  const std::string config = dir / "ac.yaml";
  // 7 trajectories in blocks of 3: uneven shares per rank and a short last block.
  test::write_file(config, "name: ac-mpi\nseed: 5\noutput_dir: " + dir.path() +
                               "/run\nsimulate:\n  system: allen_cahn\n  n_train: 7\n  n_test: 1\n  block: 3\n"
                               "  n_cells: 32\n  t_end: 4.0\n  n_frames: 9\n  dt: 0.01\n");
  auto run = [&](int ranks, int threads) {
    const std::string out = dir / ("np" + std::to_string(ranks) + "t" + std::to_string(threads) + ".h5");
    auto r = test::run(test::kMpiexec + " -n " + std::to_string(ranks) + " " + test::slift_bin() + " simulate " + config +
                       " --split train --out " + out + " -q --threads " + std::to_string(threads));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return out;
  };
  const std::string one = run(1, 1);
  const std::vector<float> ref = DatasetReader(one, "fields").read("t0_fields/u");
  ASSERT_EQ(ref.size(), 7u * 9 * 32);
  for (const std::string& other : {run(2, 1), run(1, 2), run(2, 2)}) {
    const std::vector<float> got = DatasetReader(other, "fields").read("t0_fields/u");
    ASSERT_EQ(got.size(), ref.size());
    // Bitwise: compare the bytes, not the values (NaN-safe, -0 vs 0 distinguished).
    EXPECT_EQ(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)), 0) << other;
  }
}

}  // namespace
}  // namespace slift
