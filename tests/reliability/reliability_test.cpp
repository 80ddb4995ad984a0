// Reliability of the real `slift` binary on adversarial inputs: no output lost or overwritten by
// surprise, no number silently wrong, no crash; every failure one line and exit code 1 or 2.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/dataset.hpp"
#include "learner/metrics/wasserstein.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using slift::test::CommandResult;
using slift::test::run;
using slift::test::slift_bin;
using slift::test::TempDir;

namespace {

// A failure as the project promises it: the given exit code and exactly one line of output.
void expect_one_line_failure(const CommandResult& r, int code, const std::string& must_contain) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find(must_contain), std::string::npos) << r.output;
}

// The Duffing config, small; `out` and the run directory under `dir`.
std::string duffing(const TempDir& dir, const std::string& rest) {
  return slift_bin() + " " + rest + " --set output_dir=" + dir.path() +
         "/run --set simulate.n_train=20 --set simulate.n_test=20 --set simulate.n_time=16 --set simulate.block=7 "
         "--threads 1 -q";
}
std::string duffing_config() { return slift::test::source_dir() + "/configs/duffing.yaml"; }

int64_t mtime_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<int64_t>(st.st_mtime);
}
void set_old_mtime(const std::string& path) {
  struct utimbuf t {1000000000, 1000000000};  // 2001
  ASSERT_EQ(::utime(path.c_str(), &t), 0) << path;
}

// A small complete states dataset, to be damaged by the tests.
void write_states_file(const std::string& path) {
  slift::DatasetHeader h;
  h.kind = "states";
  h.dataset_name = "duffing";
  h.time = {0, 1, 2};
  h.state_names = {"x", "v"};
  h.params_hash = "test";
  slift::DatasetWriter w(path, h, {{"states", {3, 2}, true, {}}}, 2);
  const std::vector<float> data(2 * 3 * 2, 0.5f);
  w.write(0, 0, 2, data.data());
  w.finish();
}

}  // namespace

// Items 5, 15, 20: a damaged or hand-made HDF5 file is refused by `slift inspect` with exit code 2
// and one line (was: a segfault on a 1-D `states`, exit 1 with a std::vector message otherwise).
struct Damage {
  const char* name;
  void (*apply)(hid_t file);
  const char* message;
};

class DamagedDataset : public ::testing::TestWithParam<Damage> {};

TEST_P(DamagedDataset, IsRefusedWithOneLineAndExitCode2) {
  TempDir dir;
  const std::string path = dir / "d.h5";
  write_states_file(path);
  ASSERT_EQ(run(slift_bin() + " inspect " + path).exit_code, 0);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  GetParam().apply(f);
  H5Fclose(f);
  expect_one_line_failure(run(slift_bin() + " inspect " + path), 2, GetParam().message);
}

void replace_states_by_dataset(hid_t f, int rank, const hsize_t* dims) {
  H5Ldelete(f, "states", H5P_DEFAULT);
  hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, nullptr);
  hid_t d = H5Dcreate2(f, "states", H5T_NATIVE_FLOAT, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(d), H5Sclose(space);
}
void set_time(hid_t f, std::vector<double> t) {
  H5Ldelete(f, "dimensions/time", H5P_DEFAULT);
  hsize_t n = t.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t d = H5Dcreate2(f, "dimensions/time", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data());
  H5Dclose(d), H5Sclose(space);
}
void set_string_attr(hid_t f, const char* name, const char* value) {
  H5Adelete(f, name);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, type, &value);
  H5Aclose(a), H5Sclose(space), H5Tclose(type);
}

INSTANTIATE_TEST_SUITE_P(
    Reliability, DamagedDataset,
    ::testing::Values(
        Damage{"states_1d", [](hid_t f) { hsize_t d[1] = {2}; replace_states_by_dataset(f, 1, d); }, "'states'"},
        Damage{"states_scalar", [](hid_t f) { replace_states_by_dataset(f, 0, nullptr); }, "'states'"},
        Damage{"states_group",
               [](hid_t f) {
                 H5Ldelete(f, "states", H5P_DEFAULT);
                 H5Gclose(H5Gcreate2(f, "states", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
               },
               "'states' is not an array"},
        Damage{"states_external_link",
               [](hid_t f) {
                 H5Ldelete(f, "states", H5P_DEFAULT);
                 H5Lcreate_external("elsewhere.h5", "/states", f, "states", H5P_DEFAULT, H5P_DEFAULT);
               },
               "'states' is a link"},
        Damage{"states_soft_link_loop",
               [](hid_t f) {
                 H5Ldelete(f, "states", H5P_DEFAULT);
                 H5Lcreate_soft("/loop", f, "states", H5P_DEFAULT, H5P_DEFAULT);
                 H5Lcreate_soft("/states", f, "loop", H5P_DEFAULT, H5P_DEFAULT);
               },
               "'states' is a link"},
        Damage{"more_trajectories_than_stored", [](hid_t f) {
                 hsize_t d[3] = {1, 3, 2};
                 replace_states_by_dataset(f, 3, d);
               }, "one entry per trajectory"},
        Damage{"time_axis_shorter", [](hid_t f) { set_time(f, {0, 1}); }, "does not match the time axis"},
        Damage{"time_axis_nan", [](hid_t f) { set_time(f, {0, NAN, 2}); }, "time axis"},
        Damage{"time_axis_missing", [](hid_t f) { H5Ldelete(f, "dimensions/time", H5P_DEFAULT); }, "time axis"},
        Damage{"state_names_count",
               [](hid_t f) {
                 H5Adelete(f, "state_names");
                 hid_t type = H5Tcopy(H5T_C_S1);
                 H5Tset_size(type, H5T_VARIABLE);
                 hsize_t n = 3;
                 hid_t space = H5Screate_simple(1, &n, nullptr);
                 hid_t a = H5Acreate2(f, "state_names", type, space, H5P_DEFAULT, H5P_DEFAULT);
                 const char* names[3] = {"x", "v", "w"};
                 H5Awrite(a, type, names);
                 H5Aclose(a), H5Sclose(space), H5Tclose(type);
               },
               "one value per state name"},
        Damage{"kind_bogus", [](hid_t f) { set_string_attr(f, "slift_format", "bogus"); }, "unknown dataset kind"},
        Damage{"n_trajectories_as_string", [](hid_t f) { set_string_attr(f, "n_trajectories", "2"); }, "d.h5"}),
    [](const ::testing::TestParamInfo<Damage>& i) { return std::string(i.param.name); });

