// `slift simulate` with the wave system: config errors refused before anything is written, the
// shipped configs run, and a killed run resumes to the same data as an uninterrupted one.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/dataset.hpp"
#include "support/test_support.hpp"

namespace slift {
namespace {

using test::TempDir;

// A small, fast wave experiment (overrides append to the simulate section).
std::string small_config(const TempDir& dir) {
  std::string path = dir / "wave.yaml";
  test::write_file(path,
                   "name: wave-test\nseed: 3\noutput_dir: " + dir.path() +
                       "/run\n"
                       "simulate:\n  system: wave\n  n_train: 6\n  n_test: 4\n  block: 2\n"
                       "  n_solve: 32\n  n_out: 16\n  t_end: 4.0\n  n_frames: 9\n");
  return path;
}

std::string simulate(const std::string& config, const std::string& out, const std::string& extra = "") {
  return test::slift_bin() + " simulate " + config + " --split train --out " + out + " " + extra;
}

struct BadValue {
  std::string set;   // --set override
  std::string key;   // the key the message must name
  std::string also;  // another part the message must contain
};

void PrintTo(const BadValue& b, std::ostream* os) { *os << b.set; }

class WaveConfigError : public ::testing::TestWithParam<BadValue> {};

TEST_P(WaveConfigError, ExitsWithCode2AndOneLineNamingTheKeyAndWritesNothing) {
  TempDir dir;
  const std::string config = small_config(dir);
  auto r = test::run(simulate(config, dir / "out.h5", "--set " + GetParam().set));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  std::string text = r.output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  EXPECT_EQ(text.find('\n'), std::string::npos) << "not one line: " << r.output;
  EXPECT_NE(text.find(GetParam().key), std::string::npos) << r.output;
  EXPECT_NE(text.find(GetParam().also), std::string::npos) << r.output;
  EXPECT_EQ(dir.files(), std::vector<std::string>{"wave.yaml"});
}

INSTANTIATE_TEST_SUITE_P(
    Wave, WaveConfigError,
    ::testing::Values(BadValue{"simulate.n_solve=-32", "simulate.n_solve", ">= 4"},
                      BadValue{"simulate.n_out=-16", "simulate.n_out", ">= 2"},
                      BadValue{"simulate.n_out=12", "simulate.n_out", "must divide n_solve"},
                      BadValue{"simulate.n_out=64", "simulate.n_out", "must not exceed"},
                      BadValue{"simulate.n_frames=0", "simulate.n_frames", ""},
                      BadValue{"simulate.t_end=-1", "simulate.t_end", ""},
                      BadValue{"simulate.initial.width=0", "simulate.initial.width", ""},
                      BadValue{"simulate.medium.k0=8", "simulate.medium.k0", "[1, 7]"},
                      BadValue{"simulate.medium.k0=0.5", "simulate.medium.k0", "[1, 7]"},
                      BadValue{"simulate.medium.c_max=-1", "simulate.medium.c_max", ""},
                      // limit 2/(sqrt(2) 16) = 0.0884 for c_max 1 on 32^2; frames every 0.5
                      BadValue{"simulate.dt=0.1", "simulate.dt", "largest stable dt landing on the frames: 0.0833333"},
                      BadValue{"simulate.dt=0.03", "simulate.dt", "0.0294118"},
                      BadValue{"simulate.dt=fast", "simulate.dt", "'auto'"},
                      BadValue{"simulate.form=curl", "simulate.form", "laplacian"}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(WaveSimulate, ExplicitStableDtIsAcceptedAndStored) {
  TempDir dir;
  auto r = test::run(simulate(small_config(dir), dir / "a.h5", "--set simulate.dt=0.05 -q"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  DatasetReader reader(dir / "a.h5", "fields");
  EXPECT_DOUBLE_EQ(reader.header().simulation_parameters.at("dt"), 0.05);
  EXPECT_EQ(reader.header().simulation_parameters.at("steps_per_frame"), 10);
}

std::vector<float> read_all(const std::string& path, const std::string& array) {
  return DatasetReader(path, "fields").read(array);
}

TEST(WaveSimulate, ShippedConfigsRunAndWriteTheWellLayout) {
  for (const std::string name : {"configs/wave.yaml", "configs/paper/wave.yaml"}) {
    TempDir dir;
    // One short trajectory: the shipped grids and media, a fraction of the time window.
    auto r = test::run(simulate(test::source_dir() + "/" + name, dir / "a.h5",
                                "-q --set simulate.n_train=1 --set simulate.t_end=0.5 --set simulate.n_frames=3"));
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.output;
    DatasetReader reader(dir / "a.h5", "fields");
    const DatasetHeader& h = reader.header();
    const uint64_t n = h.x.size();
    EXPECT_EQ(reader.spec("t0_fields/u").shape, (std::vector<uint64_t>{3, n, n})) << name;
    EXPECT_EQ(reader.spec("t0_fields/c").shape, (std::vector<uint64_t>{n, n})) << name;
    EXPECT_FALSE(reader.spec("t0_fields/c").time_varying);
    ASSERT_EQ(h.boundary_conditions.size(), 2u);
    for (const auto& bc : h.boundary_conditions) EXPECT_EQ(bc.bc_type, "PERIODIC");
    std::vector<float> u = reader.read("t0_fields/u");
    EXPECT_NEAR(*std::max_element(u.begin(), u.begin() + n * n), 1.0f, 1e-6) << "the bump is resolved";
  }
}

// Kill -9 part-way (after the first committed block), rerun, compare with a run never killed.
TEST(WaveSimulate, KilledRunResumesToTheSameData) {
  TempDir dir;
  const std::string config = small_config(dir);
  // Blocks of 4 trajectories, so the kill after the first commit lands mid-run.
  const std::string slow = "--threads 1 --set simulate.n_train=12 --set simulate.block=4 --set simulate.n_solve=128";
  auto full = test::run(simulate(config, dir / "full.h5", "-q " + slow));
  ASSERT_EQ(full.exit_code, 0) << full.output;

  const std::string out = dir / "resumed.h5", partial = out + ".partial";
  ASSERT_TRUE(test::kill_when_printed(simulate(config, out, "-v " + slow), "committed 4/12"))
      << "the run ended before it could be killed";
  ASSERT_TRUE(std::filesystem::exists(partial));
  ASSERT_FALSE(std::filesystem::exists(out));

  auto rerun = test::run(simulate(config, out, slow));  // without -q: shows the resume
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("resuming"), std::string::npos) << rerun.output;
  for (const char* a : {"t0_fields/u", "t0_fields/c"}) EXPECT_EQ(read_all(dir / "full.h5", a), read_all(out, a)) << a;
}

}  // namespace
}  // namespace slift
