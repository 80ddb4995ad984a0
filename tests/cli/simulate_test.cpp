// `slift simulate` on real data: the same bytes for any rank and thread count, and a resumed
// run that ends with the file an uninterrupted run writes.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
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


// The Duffing config with a block size that does not divide n, so the last block is short
// and the two ranks get unequal shares.
std::string simulate_cmd(const std::string& out, const std::string& extra = "", const std::string& split = "train") {
  return slift_bin() + " simulate " + slift::test::source_dir() + "/configs/duffing.yaml --split " + split + " --out " + out +
         " --set output_dir=" + fs::path(out).parent_path().string() +
         " --set simulate.block=7 --set simulate.n_train=50 --set simulate.n_time=32 " + extra;
}

std::vector<float> states_of(const std::string& path) { return DatasetReader(path, "states").read("states"); }

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST(Simulate, StatesAreByteIdenticalForAnyRankAndThreadCount) {
  TempDir dir;
  const std::string ref = dir / "ref.h5";
  auto r = run(simulate_cmd(ref, "--threads 1"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<float> want = states_of(ref);
  ASSERT_EQ(want.size(), 50u * 32 * 2);
  // The data are real trajectories: finite, not constant, different from one another.
  for (float x : want) ASSERT_TRUE(std::isfinite(x));
  EXPECT_NE(std::memcmp(want.data(), want.data() + 64, 64 * sizeof(float)), 0);

  struct Variant {
    const char* name;
    std::string command;
  };
  const std::vector<Variant> variants{
      {"4 threads", simulate_cmd(dir / "t4.h5", "--threads 4")},
      {"OMP_NUM_THREADS=3", "OMP_NUM_THREADS=3 " + simulate_cmd(dir / "omp3.h5")},
      {"mpiexec -n 2", kMpiexec + " -n 2 " + simulate_cmd(dir / "np2.h5", "--threads 1")},
      {"mpiexec -n 2, 2 threads", kMpiexec + " -n 2 " + simulate_cmd(dir / "np2t2.h5", "--threads 2")},
      {"mpiexec -n 1", kMpiexec + " -n 1 " + simulate_cmd(dir / "np1.h5")},
  };
  for (const auto& v : variants) {
    SCOPED_TRACE(v.name);
    auto rv = run(v.command);
    ASSERT_EQ(rv.exit_code, 0) << rv.output;
    const std::string out = v.command.substr(v.command.find("--out ") + 6, v.command.find(" --set") - v.command.find("--out ") - 6);
    EXPECT_TRUE(same_bytes(states_of(out), want));
    EXPECT_EQ(DatasetReader(out).header().time, DatasetReader(ref).header().time);
  }
  EXPECT_NE(run(kMpiexec + " -n 2 " + simulate_cmd(dir / "np2.h5", "--force")).output.find("on 2 rank(s)"), std::string::npos);
}

TEST(Simulate, SplitsAndSeedsGiveDifferentData) {
  TempDir dir;
  ASSERT_EQ(run(simulate_cmd(dir / "a.h5")).exit_code, 0);
  ASSERT_EQ(run(simulate_cmd(dir / "b.h5", "--set seed=2")).exit_code, 0);
  auto r = run(simulate_cmd(dir / "c.h5", "--set simulate.n_test=50", "test"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto a = states_of(dir / "a.h5");
  EXPECT_FALSE(same_bytes(a, states_of(dir / "b.h5")));
  EXPECT_FALSE(same_bytes(a, states_of(dir / "c.h5")));
}

TEST(Simulate, ProvenanceHoldsTheResolvedConfigWithDefaults) {
  TempDir dir;
  ASSERT_EQ(run(simulate_cmd(dir / "a.h5")).exit_code, 0);
  DatasetReader r(dir / "a.h5");
  const std::string& cfg = r.header().config_yaml;
  EXPECT_NE(cfg.find("block: 7"), std::string::npos) << cfg;         // an override
  EXPECT_NE(cfg.find("n_train: 50"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("compress: false"), std::string::npos) << cfg;  // a default not in the file
  EXPECT_NE(r.header().created_by.find("slift "), std::string::npos);
  EXPECT_FALSE(r.header().params_hash.empty());
}

TEST(Simulate, ResumesAPartialFileToTheSameResult) {
  TempDir dir;
  const std::string ref = dir / "ref.h5", out = dir / "resumed.h5";
  ASSERT_EQ(run(simulate_cmd(ref)).exit_code, 0);
  const std::vector<float> want = states_of(ref);

  // Make the state a run killed after 3 blocks leaves: same content identity, slift_n_done = 21,
  // no completion mark, and garbage after the last committed block.
  fs::copy_file(ref, out + ".partial");
  {
    hid_t f = H5Fopen((out + ".partial").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    ASSERT_GE(H5Adelete(f, "slift_complete"), 0);
    hid_t a = H5Aopen(f, "slift_n_done", H5P_DEFAULT);
    uint64_t done = 21;
    ASSERT_GE(H5Awrite(a, H5T_NATIVE_UINT64, &done), 0);
    H5Aclose(a);
    hid_t d = H5Dopen2(f, "states", H5P_DEFAULT);
    hid_t space = H5Dget_space(d);
    hsize_t start[3] = {21, 0, 0}, count[3] = {29, 32, 2};
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    hid_t mem = H5Screate_simple(3, count, nullptr);
    std::vector<float> junk(29 * 32 * 2, -999.0f);
    ASSERT_GE(H5Dwrite(d, H5T_NATIVE_FLOAT, mem, space, H5P_DEFAULT, junk.data()), 0);
    H5Sclose(mem), H5Sclose(space), H5Dclose(d), H5Fclose(f);
  }
  auto r = run(simulate_cmd(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("after 21 trajectories"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(29 computed)"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out + ".partial"));
  EXPECT_TRUE(same_bytes(states_of(out), want));

  // Resumed under two ranks as well.
  fs::remove(out);
  fs::copy_file(ref, out + ".partial");
  {
    hid_t f = H5Fopen((out + ".partial").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    H5Adelete(f, "slift_complete");
    hid_t a = H5Aopen(f, "slift_n_done", H5P_DEFAULT);
    uint64_t done = 14;
    H5Awrite(a, H5T_NATIVE_UINT64, &done);
    H5Aclose(a), H5Fclose(f);
  }
  r = run(kMpiexec + " -n 2 " + simulate_cmd(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("after 14 trajectories"), std::string::npos) << r.output;
  EXPECT_TRUE(same_bytes(states_of(out), want));
}

TEST(Simulate, PartialOfOtherParametersIsNotResumed) {
  TempDir dir;
  const std::string ref = dir / "ref.h5", out = dir / "out.h5";
  ASSERT_EQ(run(simulate_cmd(ref, "--set simulate.sigma=0.7")).exit_code, 0);
  fs::copy_file(ref, out + ".partial");  // complete data, but of another sigma
  {
    hid_t f = H5Fopen((out + ".partial").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    H5Adelete(f, "slift_complete");
    H5Fclose(f);
  }
  auto r = run(simulate_cmd(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("resuming"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(50 computed)"), std::string::npos) << r.output;
  ASSERT_EQ(run(simulate_cmd(dir / "fresh.h5")).exit_code, 0);
  EXPECT_TRUE(same_bytes(states_of(out), states_of(dir / "fresh.h5")));
}

TEST(Simulate, InspectReadsTheFileAndRefusesBrokenOnes) {
  TempDir dir;
  const std::string f = dir / "a.h5";
  ASSERT_EQ(run(simulate_cmd(f)).exit_code, 0);
  auto r = run(slift_bin() + " inspect " + f);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"states (duffing)", "trajectories  50", "32 saved times", "states[x]", "(50, 32, 2)"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << " in:\n" << r.output;

  fs::copy_file(f, dir / "cut.h5");
  fs::resize_file(dir / "cut.h5", fs::file_size(f) / 2);
  r = run(slift_bin() + " inspect " + (dir / "cut.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("truncated"), std::string::npos) << r.output;

  slift::test::write_file(dir / "x.h5", "not hdf5");
  r = run(slift_bin() + " inspect " + (dir / "x.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("not an HDF5 file"), std::string::npos) << r.output;
}

// Fields on one axis: inspect names the axis and its size, and the plot draws them (space-time
// images; tests/pipeline/test_inspect_plot.cpp has what they show). A data set without
// trajectories has nothing to draw: exit code 2 and a line naming the file, nothing written.
TEST(Simulate, InspectShowsEveryAxisAndPlotsOneDimensionalFields) {
  TempDir dir;
  const std::string f = dir / "line.h5", png = dir / "line.png", empty = dir / "empty.h5";
  slift::DatasetHeader h;
  h.kind = "fields";
  h.dataset_name = "line";
  h.time = {0, 1, 2};
  h.axes = {{"x", {0, 0.25, 0.5, 0.75}}};
  h.boundary_conditions = {{"periodic_x", "PERIODIC", {"x"}}};
  h.params_hash = "line";
  const std::vector<float> u(2 * 3 * 4, 0.5f);
  slift::DatasetWriter w(f, h, {{"t0_fields/u", {3, 4}, true, {}}}, 2);
  w.write(0, 0, 2, u.data());
  w.finish();
  slift::DatasetWriter(empty, h, {{"t0_fields/u", {3, 4}, true, {}}}, 0).finish();
  auto r = run(slift_bin() + " inspect " + f);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("grid          4 (cartesian; axes x)"), std::string::npos) << r.output;
  r = run(slift_bin() + " inspect " + f + " --plot " + png);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // The PNG header: 198 x 76 pixels (24 a cell; a column per trajectory: 2 + 2 x (4 x 24 + 2)
  // across, 2 + 3 x 24 + 2 down).
  const std::string bytes = slift::test::read_file(png);
  EXPECT_EQ(bytes.substr(12, 12), std::string("IHDR\0\0\0\xC6\0\0\0\x4C", 12));
  r = run(slift_bin() + " inspect " + empty + " --plot " + dir / "empty.png");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(empty + ": no scalar field with values to draw"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "empty.png"));
}
