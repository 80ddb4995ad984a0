// `slift simulate` with the flow system: the same bytes under 1 and 2 ranks, The Well layout, and
// a run killed mid-way that resumes to the file an uninterrupted run writes.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/dataset.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using slift::DatasetReader;
using slift::test::run;
using slift::test::slift_bin;
using slift::test::kMpiexec;
using slift::test::TempDir;

namespace {


// configs/flow.yaml made small; a block size that does not divide n gives unequal rank shares.
std::string simulate_cmd(const std::string& out, const std::string& extra = "") {
  return slift_bin() + " simulate " + slift::test::source_dir() + "/configs/flow.yaml --split train --out " + out +
         " --set output_dir=" + fs::path(out).parent_path().string() +
         " --set simulate.block=3 --set simulate.n_train=7 --set simulate.nx=24 --set simulate.ny=20"
         " --set simulate.n_frames=6 --threads 1 " + extra;
}

bool same_arrays(const std::string& a, const std::string& b) {
  DatasetReader ra(a), rb(b);
  if (ra.array_paths() != rb.array_paths()) return false;
  for (const std::string& p : ra.array_paths()) {
    const std::vector<float> x = ra.read(p), y = rb.read(p);
    if (x.size() != y.size() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) != 0) return false;
  }
  return true;
}

}  // namespace

TEST(FlowSimulate, ArraysAreByteIdenticalUnderOneAndTwoRanks) {
  for (const std::string tensor : {"isotropic", "diagonal"}) {
    SCOPED_TRACE(tensor);
    TempDir dir;
    const std::string extra = "--set simulate.permeability.tensor=" + tensor + " --set simulate.store_pressure=true";
    auto r1 = run(kMpiexec + " -n 1 " + simulate_cmd(dir / "np1.h5", extra));
    ASSERT_EQ(r1.exit_code, 0) << r1.output;
    auto r2 = run(kMpiexec + " -n 2 " + simulate_cmd(dir / "np2.h5", extra));
    ASSERT_EQ(r2.exit_code, 0) << r2.output;
    EXPECT_NE(r2.output.find("on 2 rank(s)"), std::string::npos) << r2.output;
    EXPECT_TRUE(same_arrays(dir / "np1.h5", dir / "np2.h5"));

    DatasetReader f(dir / "np1.h5", "fields");
    const std::string k = tensor == "diagonal" ? "t2_fields/K" : "t0_fields/K";
    EXPECT_EQ(f.array_paths(), (std::vector<std::string>{"t0_fields/s", "t0_fields/p", k}));
    EXPECT_EQ(f.spec("t0_fields/s").shape, (std::vector<uint64_t>{6, 24, 20}));
    const std::vector<uint64_t> k_shape = tensor == "diagonal" ? std::vector<uint64_t>{24, 20, 2, 2} : std::vector<uint64_t>{24, 20};
    EXPECT_EQ(f.spec(k).shape, k_shape);
    EXPECT_FALSE(f.spec(k).time_varying);
    ASSERT_EQ(f.header().boundary_conditions.size(), 2u);
    for (const auto& bc : f.header().boundary_conditions) EXPECT_EQ(bc.bc_type, "WALL");
    // Zero initial saturation, water arriving later, permeabilities differing between samples.
    const std::vector<float> s = f.read("t0_fields/s", 0, 1), K = f.read(k);
    for (int c = 0; c < 24 * 20; ++c) ASSERT_EQ(s[c], 0.0f);
    EXPECT_GT(s[5 * 24 * 20], 0.5f);  // the injector cell at the last frame
    const size_t per = K.size() / 7;
    EXPECT_NE(std::memcmp(K.data(), K.data() + per, per * sizeof(float)), 0);
  }
}

TEST(FlowSimulate, KilledRunResumesToTheSameFile) {
  TempDir dir;
  const std::string ref = dir / "ref.h5", out = dir / "resumed.h5";
  const std::string big = "--set simulate.n_train=24 --set simulate.block=2 --set simulate.nx=40 --set simulate.ny=40";
  auto r = run(simulate_cmd(ref, big));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Kill (SIGKILL, no clean-up) right after the first committed block, then rerun the same command.
  ASSERT_TRUE(slift::test::kill_when_printed(simulate_cmd(out, big + " -v"), "committed 2/24"))
      << "the run ended before it could be killed";
  ASSERT_TRUE(fs::exists(out + ".partial"));
  ASSERT_FALSE(fs::exists(out));
  r = run(simulate_cmd(out, big));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out + ".partial"));
  EXPECT_TRUE(same_arrays(ref, out));
}
