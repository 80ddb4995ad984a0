// Reliability of the real `slift` binary on adversarial inputs: no output lost or overwritten by
// surprise, no number silently wrong, no crash; every failure one line and exit code 1 or 2.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/file.h>
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
#include "core/rng.hpp"
#include "metrics/wasserstein.hpp"
#include "simulators/wave/medium.hpp"
#include "simulators/wave/resample.hpp"
#include "simulators/wave/solver.hpp"
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

// Item 1: a second writer of the same output is refused while the first holds its .partial, and
// the first one's file ends complete.
TEST(Reliability, SecondWriterOfAnOutputIsRefusedAndTheFirstKeepsItsData) {
  TempDir dir;
  const std::string out = dir / "x.h5";
  slift::DatasetHeader h;
  h.kind = "states";
  h.dataset_name = "duffing";
  h.time = {0, 1};
  h.state_names = {"x", "v"};
  h.params_hash = "first";
  slift::DatasetWriter first(out, h, {{"states", {2, 2}, true, {}}}, 3);
  expect_one_line_failure(run(duffing(dir, "simulate " + duffing_config() + " --split train --out " + out)), 2,
                          "being written by another slift");
  const std::vector<float> data(3 * 2 * 2, 1.5f);
  first.write(0, 0, 3, data.data());
  first.finish();
  slift::DatasetReader r(out, "states");
  EXPECT_EQ(r.header().params_hash, "first");
  EXPECT_EQ(r.read("states"), data);
}

// Item 2: --out never replaces a file by surprise, and never the config.
TEST(Reliability, OutRefusesAnExistingFileUnlessForced) {
  TempDir dir;
  const std::string config = dir / "c.yaml";
  fs::copy_file(duffing_config(), config);
  const std::string text = slift::test::read_file(config);
  expect_one_line_failure(run(duffing(dir, "simulate " + config + " --split test --out " + config + " --force")), 2,
                          "is the config file itself");
  EXPECT_EQ(slift::test::read_file(config), text);
  const std::string other = dir / "other.h5";
  slift::test::write_file(other, "precious");
  expect_one_line_failure(run(duffing(dir, "simulate " + config + " --split test --out " + other)), 2,
                          "pass --force to replace it");
  EXPECT_EQ(slift::test::read_file(other), "precious");
  expect_one_line_failure(run(duffing(dir, "simulate " + config + " --split test --out " + dir.path())), 2,
                          "is a directory");
  const CommandResult forced = run(duffing(dir, "simulate " + config + " --split test --out " + other + " --force"));
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_EQ(slift::DatasetReader(other, "states").n_traj(), 20u);
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"c.yaml", "other.h5"}));
}

// Item 11: a simulate stage rerun after a kill keeps the splits the killed run completed; a split
// modified since it was recorded is written again.
TEST(Reliability, SimulateRerunKeepsCompleteSplitsAndRewritesModifiedOnes) {
  TempDir dir;
  const std::string data = dir / "run/data";
  const CommandResult first = run(duffing(dir, "run " + duffing_config() + " simulate"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  // What a kill during the floor split leaves: the stage's record gone, train and test complete.
  const std::string lock_path = dir / "run/slift.lock.json";
  nlohmann::json lock = nlohmann::json::parse(slift::test::read_file(lock_path));
  ASSERT_TRUE(lock["stages"].contains("simulate")) << lock.dump();
  lock["stages"].erase("simulate");
  slift::test::write_file(lock_path, lock.dump());
  fs::remove(data + "/floor.h5");
  for (const char* split : {"train", "test"}) set_old_mtime(data + "/" + split + ".h5");
  const std::vector<float> test_states = slift::DatasetReader(data + "/test.h5").read("states");

  const CommandResult rerun = run(duffing(dir, "run " + duffing_config() + " simulate"));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  for (const char* split : {"train", "test"}) EXPECT_EQ(mtime_of(data + "/" + split + ".h5"), 1000000000) << split;
  EXPECT_EQ(slift::DatasetReader(data + "/floor.h5").n_traj(), 20u);

  // A recorded split changed since: not kept, written again with the same content.
  { std::ofstream(data + "/test.h5", std::ios::app) << "x"; }
  const CommandResult third = run(duffing(dir, "run " + duffing_config() + " simulate"));
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_NE(mtime_of(data + "/test.h5"), 1000000000);
  EXPECT_EQ(slift::DatasetReader(data + "/test.h5").read("states"), test_states);
  EXPECT_EQ(mtime_of(data + "/train.h5"), 1000000000);
}

// Item 3: a metric refuses non-finite values, naming the set and the frame, instead of returning
// a W2 of 0 (NaN) or inf.
TEST(Reliability, MetricsRefuseNonFiniteValuesNamingSetAndFrame) {
  using slift::metrics::w2_1d;
  EXPECT_THROW(w2_1d({NAN, 1.0, 2.0}, {1.0, 2.0, 3.0}), slift::Error);
  EXPECT_THROW(w2_1d({0.0, 1.0}, {INFINITY, 2.0}), slift::Error);
  EXPECT_NEAR(w2_1d({0.0, 1.0}, {1.0, 2.0}), 1.0, 1e-12);
  // 2 trajectories x 3 frames x 2 values; a NaN in trajectory 1, frame 2.
  std::vector<float> data(12, 0.25f);
  slift::metrics::require_finite(data, 3, 2, "test.h5");
  data[(1 * 3 + 2) * 2 + 1] = NAN;
  try {
    slift::metrics::require_finite(data, 3, 2, "runs/x/data/test.h5");
    FAIL() << "a NaN was accepted";
  } catch (const slift::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("runs/x/data/test.h5"), std::string::npos) << m;
    EXPECT_NE(m.find("frame 2 of trajectory 1"), std::string::npos) << m;
  }
}

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

// Item 6: thread counts have a range from the machine (thousands crashed libgomp), for --threads,
// OMP_NUM_THREADS and train.threads alike; nothing is written.
TEST(Reliability, ThreadCountsBeyondTheMachineAreRefused) {
  TempDir dir;
  const std::string out = dir / "x.h5";
  const std::string cmd = slift_bin() + " simulate " + duffing_config() + " --split train --out " + out +
                          " -q --set output_dir=" + dir.path() + "/run";
  expect_one_line_failure(run(cmd + " --threads 100000"), 2, "--threads 100000: at most");
  expect_one_line_failure(run("OMP_NUM_THREADS=100000 " + cmd), 2, "OMP_NUM_THREADS=100000");
  expect_one_line_failure(run(cmd + " --threads 1 --set train.threads=100000"), 2, "train.threads");
  EXPECT_TRUE(dir.files().empty());
}

// Items 4, 9: impossible numbers stop the solver with one line naming the trajectory, the array,
// the time and the keys to suspect, and nothing looks complete. Flow permeability.sigma 100 threw
// inside the OpenMP loop (std::terminate); sigma 20 wrote saturations up to 1024 as complete.
TEST(Reliability, SolverStopsOnImpossibleNumbersWithOneLine) {
  TempDir dir;
  const std::string flow = slift_bin() + " simulate " + slift::test::source_dir() +
                           "/configs/flow.yaml --split train --set simulate.n_train=3 --set simulate.block=2 "
                           "--set simulate.nx=8 --set simulate.ny=8 --set simulate.n_frames=3 --threads 2 -q --set output_dir=" +
                           dir.path() + " --out ";
  for (const char* sigma : {"20", "100"}) {
    SCOPED_TRACE(sigma);
    const std::string out = dir / (std::string("flow") + sigma + ".h5");
    expect_one_line_failure(run(flow + out + " --set simulate.permeability.sigma=" + sigma), 1, "trajectory ");
    EXPECT_FALSE(fs::exists(out));
  }
  const CommandResult sat = run(flow + (dir / "s.h5") + " --set simulate.permeability.sigma=20");
  EXPECT_NE(sat.output.find("t0_fields/s at time"), std::string::npos) << sat.output;
  EXPECT_NE(sat.output.find("simulate.permeability.sigma"), std::string::npos) << sat.output;

  const std::string wave = slift_bin() + " simulate " + slift::test::source_dir() +
                           "/configs/wave.yaml --split train --set simulate.n_train=2 --set simulate.n_solve=16 "
                           "--set simulate.n_out=8 --set simulate.medium.k0=1 --threads 1 -q --set output_dir=" +
                           dir.path() + " --out " + (dir / "w.h5");
  expect_one_line_failure(run(wave + " --set simulate.initial.amplitude=1e300"), 1, "simulate.initial.amplitude");
  EXPECT_FALSE(fs::exists(dir / "w.h5"));
}

// Items 4, 10: sizes beyond int32 step counts or the machine's memory are refused before anything
// runs (wave n_solve 100000 segfaulted in an unchecked allocation; dt 1e-300 overflowed the steps).
TEST(Reliability, SizesBeyondTheMachineAreRefusedBeforeRunning) {
  TempDir dir;
  const std::string wave = slift_bin() + " simulate " + slift::test::source_dir() +
                           "/configs/wave.yaml --split train -q --set output_dir=" + dir.path() + " --out " + (dir / "w.h5");
  expect_one_line_failure(run(wave + " --set simulate.n_solve=100000 --set simulate.n_out=100000"), 2, "simulate.n_solve");
  expect_one_line_failure(run(wave + " --set simulate.dt=1e-300"), 2, "simulate.dt");
  expect_one_line_failure(run(wave + " --set simulate.t_end=1e12"), 2, "simulate.t_end");
  // Item 17: the data budget and a block's memory.
  const std::string duffing = slift_bin() + " simulate " + duffing_config() + " --split train -q --set output_dir=" +
                              dir.path() + " --out " + (dir / "d.h5");
  expect_one_line_failure(run(duffing + " --set simulate.n_train=1e12"), 2, "simulate.max_data_gb");
  expect_one_line_failure(run(duffing + " --set simulate.n_time=2e9"), 2, "simulate.");
  // Beyond the disk (5.8 PB): refused before any block is taken, so nothing else runs out of space.
  expect_one_line_failure(run(duffing + " --set simulate.n_train=1e13 --set simulate.max_data_gb=1e7 --set simulate.max_core_hours=1e7"),
                          1,
                          "d.h5.partial: No space left on device");
  // The dry run says how much data a run would write (200 + 1000 + 1000 trajectories of 64 x 2 floats).
  const CommandResult plan = run(slift_bin() + " run " + duffing_config() + " --dry-run --set output_dir=" + dir.path());
  EXPECT_NE(plan.output.find("data sets: 0.00113 GB"), std::string::npos) << plan.output;
  EXPECT_TRUE(dir.files().empty());
}

// Items 12, 15, 16: configs that yaml-cpp would read silently wrong, or that are not configs.
TEST(Reliability, AmbiguousOrMisplacedConfigsAreRefused) {
  TempDir dir;
  const std::string base = "name: t\noutput_dir: " + dir.path() + "/run\nsimulate:\n  system: duffing\n";
  struct Case {
    std::string text, message;
  };
  const std::vector<Case> cases{
      {base + "  n_train: 5\n  n_train: 7\n", "c.yaml:6: simulate.n_train: given twice"},
      {base + "simulate:\n  system: duffing\n", "c.yaml:5: simulate: given twice"},
      {base + "---\nname: other\n", "a second YAML document"},
      {base + "  ? [a, b]\n  : 1\n", "a key must be a name"},
      {"name: t\noutput_dir: \"\"\nsimulate:\n  system: duffing\n", "output_dir: must name a directory"},
      {"name: t\noutput_dir: /\nsimulate:\n  system: duffing\n", "output_dir: must name a directory"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    slift::test::write_file(dir / "c.yaml", c.text);
    expect_one_line_failure(run(slift_bin() + " simulate -q " + (dir / "c.yaml") + " --split train --out " + (dir / "x.h5")),
                            2, c.message);
  }
  expect_one_line_failure(run(slift_bin() + " simulate -q " + dir.path() + " --split train --out " + (dir / "x.h5")), 2,
                          "is a directory, not a config file");
  EXPECT_EQ(dir.files(), std::vector<std::string>{"c.yaml"});
  EXPECT_FALSE(fs::exists("/.slift-locks"));
}

// Item 19: a sweep's grid values name run directories: one path component each, listed once.
TEST(Reliability, SweepGridValuesStayInsideTheSweepDirectory) {
  TempDir dir;
  for (const std::string& grid : {std::string("\"../../x\""), std::string("1, 1")}) {
    SCOPED_TRACE(grid);
    slift::test::write_file(dir / "sweep.yaml", "name: s\nbase: " + duffing_config() + "\noutput_dir: " + dir.path() +
                                                    "/sweep\ngrid:\n  seed: [" + grid + "]\n");
    expect_one_line_failure(run(slift_bin() + " run -q " + (dir / "sweep.yaml") + " --dry-run"), 2, "grid.seed");
  }
  EXPECT_EQ(dir.files(), std::vector<std::string>{"sweep.yaml"});
}

// Item 18: the stages of `slift run -j 2` die with their driver and free their stage locks (the
// stage may die before it took its lock: the driver can be killed right after the fork). The
// stage is long through its substeps, not its size: a large data set would reserve its disk space
// (tens of GB) and fill the disk for every other test running beside this one.
TEST(Reliability, ParallelStagesDieWithTheirDriver) {
  TempDir dir;
  const std::string cmd = slift_bin() + " run " + duffing_config() + " simulate -j 2 --threads 1 --set output_dir=" +
                          dir.path() + "/run --set simulate.substeps=1000000";
  ASSERT_TRUE(slift::test::kill_when_printed(cmd, "log: "));
  const std::string holder = dir / "run/.slift-locks/simulate";
  auto held = [&] {
    const int fd = ::open(holder.c_str(), O_RDONLY | O_CLOEXEC);
    const bool locked = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0;
    if (fd >= 0) ::close(fd);
    return locked;
  };
  usleep(2000 * 1000);  // an orphan stage would have taken its lock by now
  bool free = false;
  for (int i = 0; i < 300 && !free; ++i, usleep(100 * 1000)) free = !held();  // up to 30 s on a loaded machine
  EXPECT_TRUE(free) << "the simulate stage outlived its driver";
  pid_t orphan = 0;
  if (!free && std::sscanf(slift::test::read_file(holder).c_str(), "pid %d", &orphan) == 1) ::kill(orphan, SIGKILL);
}

// Items 8, 15: a full disk. HDF5 lost the writes that failed with ENOSPC and the file ended marked
// complete, full of zeros, with exit code 0. Now the space is reserved first: one line naming the
// file and the full disk, exit 1, no file that looks complete; a smaller set then fits. On a small
// tmpfs the test mounts, so only as root.
TEST(Reliability, AFullDiskIsNamedAndLeavesNoFileThatLooksComplete) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  TempDir dir;
  const std::string full = dir / "full";
  fs::create_directories(full);
  if (run("mount -t tmpfs -o size=256k tmpfs " + full).exit_code != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
  const std::string cmd = slift_bin() + " simulate " + duffing_config() + " --split train -q --set output_dir=" + full +
                          " --out " + full + "/x.h5 --set simulate.n_train=";
  expect_one_line_failure(run(cmd + "4000"), 1, full + "/x.h5.partial: No space left on device");
  const bool looks_complete = fs::exists(full + "/x.h5");
  const CommandResult fits = run(cmd + "100");
  uint64_t n = 0;
  if (fits.exit_code == 0) n = slift::DatasetReader(full + "/x.h5", "states").n_traj();
  run("umount " + full);
  EXPECT_FALSE(looks_complete);
  EXPECT_EQ(fits.exit_code, 0) << fits.output;
  EXPECT_EQ(n, 100u);
}

// Fuzz finding (tests/fuzz, dataset): a corrupt global heap made HDF5 itself crash while reading a
// string attribute, and `slift inspect` died of SIGSEGV. The command's last word names the file.
TEST(Reliability, AFileThatCrashesHdf5IsNamedWithExitCode2) {
  const std::string file = slift::test::source_dir() + "/tests/reliability/data/corrupt_global_heap.h5";
  expect_one_line_failure(run(slift_bin() + " inspect " + file), 2, file + ": corrupt dataset");
}

// Item 15: a lock file of the wrong types (valid JSON) ended in a JSON type error that named no file
// and exit 1; like a damaged one, it now only costs reruns.
TEST(Reliability, ALockFileOfWrongTypesCostsOnlyReruns) {
  TempDir dir;
  fs::create_directories(dir / "run");
  slift::test::write_file(dir / "run/slift.lock.json",
                          R"({"format": 1, "stages": {"simulate": {"version": "1", "params": 7, "inputs": [],)"
                          R"( "outputs": {"data/train.h5": 3}}}, "files": {"data/train.h5": {"size": "big"}}})");
  const CommandResult r = run(duffing(dir, "run " + duffing_config() + " simulate"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slift::DatasetReader(dir / "run/data/train.h5").n_traj(), 20u);
}

// Item 20: the lock reused a file's hash while its size and modification time were unchanged, so
// an in-place edit that kept (or restored) the modification time left the stage "up to date". The
// change time, which no user can set, now decides too.
TEST(Reliability, AnEditThatKeepsTheModificationTimeIsSeen) {
  TempDir dir;
  ASSERT_EQ(run(duffing(dir, "run " + duffing_config() + " simulate")).exit_code, 0);
  const std::string data = dir / "run/data/train.h5";
  std::string dry = duffing(dir, "run " + duffing_config() + " simulate --dry-run");
  dry.erase(dry.rfind(" -q"));  // the dry run speaks at the normal level
  EXPECT_NE(run(dry).output.find("simulate: up to date"), std::string::npos);
  struct stat before {};
  ASSERT_EQ(::stat(data.c_str(), &before), 0);
  {
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-1, std::ios::end);
    const char last = static_cast<char>(f.get());
    f.seekp(-1, std::ios::end);
    f.put(static_cast<char>(last ^ 1));
  }
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, data.c_str(), times, 0), 0);
  const CommandResult r = run(dry);
  EXPECT_NE(r.output.find("output data/train.h5 was modified"), std::string::npos) << r.output;
}

// Item 20: config errors point at the offending line: an empty value was reported a line below
// its key (yaml-cpp marks a null where the next token is), a --set list's item as line 1.
TEST(Reliability, ConfigErrorsNameTheLineOfTheKeyOrTheSet) {
  TempDir dir;
  const std::string base = "name: t\noutput_dir: " + dir.path() + "/run\nsimulate:\n  system: duffing\n";
  for (const std::string& rest : {std::string("  n_train:\n"), std::string("  n_train:\n  n_test: 5\n")}) {
    slift::test::write_file(dir / "c.yaml", base + rest);
    expect_one_line_failure(run(slift_bin() + " simulate -q " + (dir / "c.yaml") + " --split train --out " + (dir / "x.h5")),
                            2, "c.yaml:5: simulate.n_train: missing value");
  }
  const std::string flow = slift_bin() + " simulate -q " + slift::test::source_dir() + "/configs/flow.yaml --split train --out " +
                           (dir / "x.h5") + " --set 'simulate.wells=[{cell: [0, 0], rate: 1}, ";
  expect_one_line_failure(run(flow + "{cell: [3, 3], rate: -1, bogus: 2}]'"), 2,
                          "flow.yaml (--set simulate.wells): simulate.wells[1].bogus: unknown key");
  expect_one_line_failure(run(flow + "{cell: [300, 3], rate: -1}]'"), 2,
                          "flow.yaml (--set simulate.wells): simulate.wells[1].cell");
  EXPECT_EQ(dir.files(), std::vector<std::string>{"c.yaml"});
}

// Item 17: `slift inspect` read every declared value for its statistics: a sparse file declaring
// 7.8 GB (325 million trajectories, almost none written) kept it busy for hours. Now bounded:
// the first trajectories up to a budget, said so.
TEST(Reliability, InspectOfAHugeSparseArrayIsBounded) {
  TempDir dir;
  const std::string path = dir / "sparse.h5";
  write_states_file(path);
  const hsize_t n = 325000000, dims[3] = {n, 3, 2}, chunk[3] = {1, 3, 2};
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  H5Ldelete(f, "states", H5P_DEFAULT);
  hid_t space = H5Screate_simple(3, dims, nullptr), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 3, chunk);
  hid_t d = H5Dcreate2(f, "states", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  ASSERT_GE(d, 0);
  H5Dclose(d), H5Pclose(dcpl), H5Sclose(space);
  const int64_t count = static_cast<int64_t>(n);
  hid_t a = H5Aopen(f, "n_trajectories", H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT64, &count);
  H5Aclose(a), H5Fclose(f);
  ASSERT_LT(fs::file_size(path), 1u << 20);

  const CommandResult r = run("timeout 60 " + slift_bin() + " inspect " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("states: statistics of the first 100000 of 325000000 trajectories"), std::string::npos)
      << r.output;
}

namespace {

// The root sum of squares of each stored frame of u for one trajectory of the wave system, its
// speeds scaled by `speed_factor` (1: the run as the system makes it).
std::vector<double> wave_frame_norms(const slift::sim::wave::Params& p, uint64_t traj, double speed_factor) {
  using namespace slift::sim::wave;
  using slift::sim::RealBuffer;
  MediumSampler medium(p);
  LeapfrogSolver solver(p.n_solve, p.length, p.form, p.dt());
  Resampler resample(p.n_solve, p.n_out, p.downsample);
  RealBuffer c(size_t(p.n_solve) * p.n_solve);
  slift::Rng rng(7, traj, "wave.medium");
  medium.sample_speed(rng, c.data());
  for (size_t i = 0; i < c.size(); ++i) c[i] *= speed_factor;
  const RealBuffer u0 = initial_bump(p);
  solver.set_medium(c.data());
  solver.start(u0.data());
  std::vector<float> frame(size_t(p.n_out) * p.n_out);
  auto norm = [&] {
    double sum = 0;
    for (float v : frame) sum += double(v) * v;
    return std::sqrt(sum);
  };
  resample.apply(u0.data(), frame.data());
  std::vector<double> norms{norm()};
  for (int f = 1; f < p.n_frames; ++f) {
    for (int k = f == 1 ? 1 : 0; k < p.steps_per_frame; ++k) solver.step();
    resample.apply(solver.u(), frame.data());
    norms.push_back(norm());
  }
  return norms;
}

}  // namespace

// The wave had no physical bound in its check (the flow's saturation had): now each stored frame
// must stay within what the leapfrog scheme's conserved energy allows (simulators/wave/solver.cpp).
// Correct runs near the edges of the valid range (c_min 0, dt at 0.99 of the stability limit, both
// forms, both downsamplings) stay below it; a medium faster than the speed bound dt was chosen for
// (an unstable scheme) crosses it while every value is still finite.
TEST(Reliability, WaveFramesStayWithinTheLeapfrogEnergyBound) {
  using namespace slift::sim::wave;
  for (const Form form : {Form::laplacian, Form::divergence})
    for (const double fraction : {kAutoDtFraction, 0.99}) {
      Params p;
      p.n_solve = 32, p.n_out = 16, p.form = form, p.n_frames = 9, p.t_end = 4, p.bump_width = 0.25;
      p.downsample = fraction < 0.9 ? Downsample::stride : Downsample::spectral;
      p.steps_per_frame = static_cast<int>(std::ceil(p.frame_dt() / (fraction * leapfrog_dt_limit(p.n_solve, p.length, p.c_max))));
      SCOPED_TRACE(std::to_string(static_cast<int>(form)) + " dt fraction " + std::to_string(fraction));
      const std::vector<double> bound = frame_norm_bounds(p);
      ASSERT_EQ(bound.size(), 9u);
      double closest = 0;
      for (uint64_t traj = 0; traj < 3; ++traj) {
        const std::vector<double> norms = wave_frame_norms(p, traj, 1.0);
        for (size_t f = 0; f < norms.size(); ++f) {
          EXPECT_LE(norms[f], bound[f]) << "frame " << f;
          closest = std::max(closest, norms[f] / bound[f]);
        }
      }
      EXPECT_GT(closest, 0.05) << "the bound is sound but should not be vacuous";
      const std::vector<double> unstable = wave_frame_norms(p, 0, 2.5 / fraction);
      size_t first = unstable.size();
      for (size_t f = 0; f < unstable.size() && first == unstable.size(); ++f)
        if (!(unstable[f] <= bound[f])) first = f;
      ASSERT_LT(first, unstable.size()) << "an unstable run stayed within the bound";
      EXPECT_TRUE(std::isfinite(unstable[first])) << "caught only at inf, which the finiteness check catches anyway";
    }
}

// Item 17: the run time has a range before anything runs, like the data size: a wave speed of 1e6
// (an explosion of the CFL step count: 200 million steps per trajectory) and a flow end time of
// 1e9 ran forever; an MLP of depth 100000 took 5 GB without progress. The dry run states the
// estimate of every stage.
TEST(Reliability, RunTimeHasARangeAndTheDryRunEstimatesIt) {
  TempDir dir;
  const std::string simulate = "timeout 60 " + slift_bin() + " simulate " + slift::test::source_dir() + "/configs/";
  const std::string rest = " --split train -q --set output_dir=" + dir.path() + " --out " + (dir / "x.h5");
  expect_one_line_failure(run(simulate + "wave.yaml" + rest + " --set simulate.medium.c_max=1e6"), 2,
                          "simulate.max_core_hours: the solver would take about");
  expect_one_line_failure(run(simulate + "flow.yaml" + rest + " --set simulate.t_end=1e9"), 2, "simulate.max_core_hours");
  expect_one_line_failure(run(simulate + "duffing.yaml" + rest + " --set train.depth=100000"), 2, "train.depth: an MLP of");
  // Within the budget, or the budget raised knowingly, the same run is accepted.
  const CommandResult raised = run(slift_bin() + " run " + slift::test::source_dir() + "/configs/wave.yaml --dry-run " +
                                   "--set output_dir=" + dir.path() + "/run --set simulate.medium.c_max=1e6 " +
                                   "--set simulate.max_core_hours=1e9");
  EXPECT_EQ(raised.exit_code, 0) << raised.output;
  for (const char* line : {"estimated time on one core", "simulate (budget simulate.max_core_hours): ", "train sl: ",
                           "sample ardm_k40: ", "in all: "})
    EXPECT_NE(raised.output.find(line), std::string::npos) << line << "\n" << raised.output;
  EXPECT_TRUE(dir.files().empty());
}

// Item 20: a sweep's dry run of 160,000 runs never finished (each run an experiment in memory, about
// 150 KB: 24 GB; and the duplicate check of a grid key was quadratic in its values). A grid has a
// range like every input: max_runs, 10000 unless raised.
TEST(Reliability, ASweepBeyondItsRunBudgetIsRefusedAtOnce) {
  TempDir dir;
  std::string seeds, lrs;
  for (int i = 0; i < 101; ++i) seeds += (i ? ", " : "") + std::to_string(i);
  for (int i = 0; i < 100; ++i) lrs += (i ? ", " : "") + std::to_string(1e-4 * (i + 1));
  slift::test::write_file(dir / "sweep.yaml", "name: s\nbase: " + duffing_config() + "\noutput_dir: " + dir.path() +
                                                  "/sweep\ngrid:\n  seed: [" + seeds + "]\n  train.lr: [" + lrs + "]\n");
  expect_one_line_failure(run("timeout 60 " + slift_bin() + " run -q " + (dir / "sweep.yaml") + " --dry-run"), 2,
                          "grid: expands to 10100 runs, more than max_runs = 10000");
  EXPECT_EQ(dir.files(), std::vector<std::string>{"sweep.yaml"});
}
