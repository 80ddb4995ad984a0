// The data of a wave run do not depend on the number of MPI ranks (nor threads).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

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

// Measured plans (simulate.fft_plans: measure) are shared through the wisdom file beside the data:
// runs on 1 and 2 ranks and a rerun in that directory write the same bytes, and record the file's
// wisdom.
TEST(WaveMpi, MeasuredPlansGiveByteIdenticalDataOnOneAndTwoRanksAndReruns) {
  test::TempDir dir;
  const std::string config = dir / "wave.yaml";
  test::write_file(config, "name: wave-measured\nseed: 2\noutput_dir: " + dir.path() +
                               "/run\nsimulate:\n  system: wave\n  n_train: 5\n  n_test: 1\n  block: 2\n"
                               "  n_solve: 64\n  n_out: 32\n  t_end: 2.0\n  n_frames: 5\n  fft_plans: measure\n");
  const std::string data = dir / "data";
  auto run = [&](const std::string& name, int ranks, int threads) {
    const std::string out = data + "/" + name + ".h5";
    auto r = test::run(test::kMpiexec + " -n " + std::to_string(ranks) + " " + test::slift_bin() + " simulate " +
                       config + " --split train --out " + out + " -q --threads " + std::to_string(threads));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return out;
  };
  const std::string first = run("one", 1, 1);
  const std::string wisdom = test::read_file(data + "/fftw-wisdom");
  ASSERT_NE(wisdom.find("(fftw_"), std::string::npos) << "no measured plan in the wisdom file: " << wisdom;
  std::map<std::string, std::vector<float>> ref;
  for (const char* a : {"t0_fields/u", "t0_fields/c"}) ref[a] = DatasetReader(first, "fields").read(a);
  std::filesystem::remove(first);
  for (const std::string& file : {run("two", 2, 2), run("one", 1, 1)}) {
    DatasetReader reader(file, "fields");
    EXPECT_EQ(reader.attribute("fftw_wisdom"), wisdom) << file;
    for (const auto& [a, values] : ref) {
      const std::vector<float> got = reader.read(a);
      ASSERT_EQ(got.size(), values.size());
      EXPECT_EQ(std::memcmp(got.data(), values.data(), values.size() * sizeof(float)), 0) << a << " of " << file;
    }
  }
}

}  // namespace
}  // namespace slift
