// The data of a wave run do not depend on the number of MPI ranks (nor threads).
#include <gtest/gtest.h>

#include <cstring>

#include "core/dataset.hpp"
#include "support/test_support.hpp"

namespace slift {
namespace {

TEST(WaveMpi, OneAndTwoRanksWriteByteIdenticalData) {
  test::TempDir dir;
  const std::string config = dir / "wave.yaml";
  // 7 trajectories in blocks of 3: uneven shares per rank and a short last block.
  test::write_file(config,
                   "name: wave-mpi\nseed: 5\noutput_dir: " + dir.path() +
                       "/run\nsimulate:\n  system: wave\n  n_train: 7\n  n_test: 1\n  block: 3\n"
                       "  n_solve: 64\n  n_out: 32\n  t_end: 3.0\n  n_frames: 7\n  form: divergence\n");
  auto run = [&](int ranks, int threads) {
    const std::string out = dir / ("np" + std::to_string(ranks) + "t" + std::to_string(threads) + ".h5");
    auto r = test::run(test::kMpiexec + " -n " + std::to_string(ranks) +
                       " " + test::slift_bin() + " simulate " + config + " --split train --out " + out +
                       " -q --threads " + std::to_string(threads));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return out;
  };
  const std::string one = run(1, 1), two = run(2, 1), two_threads = run(2, 2);
  for (const char* a : {"t0_fields/u", "t0_fields/c"}) {
    std::vector<float> ref = DatasetReader(one, "fields").read(a);
    ASSERT_EQ(ref.size(), (std::string(a) == "t0_fields/u" ? 7u * 7 * 32 * 32 : 7u * 32 * 32));
    // Bitwise: compare the bytes, not the values (NaN-safe, -0 vs 0 distinguished).
    for (const std::string& other : {two, two_threads}) {
      std::vector<float> got = DatasetReader(other, "fields").read(a);
      ASSERT_EQ(got.size(), ref.size());
      EXPECT_EQ(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)), 0) << a << " " << other;
    }
  }
}

}  // namespace
}  // namespace slift
