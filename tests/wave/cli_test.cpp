// `slift simulate` with the wave system: config errors refused before anything is written, the
// shipped configs run, and a killed run resumes to the same data as an uninterrupted one.
#include <gtest/gtest.h>
#include <hdf5.h>

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
                      BadValue{"simulate.form=curl", "simulate.form", "laplacian"},
                      BadValue{"simulate.fft_plans=fast", "simulate.fft_plans", "{estimate, measure}"},
                      BadValue{"simulate.fft_plan=measure", "simulate.fft_plan", "did you mean 'fft_plans'"}),
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
    ASSERT_EQ(h.axes.size(), 2u) << name;
    const uint64_t n = h.axes[0].coordinates.size();
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

// ---- measured FFT plans (simulate.fft_plans: measure; the MPI side is in mpi_test.cpp) ----------

// A data set that looks killed after `done` trajectories: no completion mark, an earlier counter.
void make_partial(const std::string& complete, const std::string& partial, uint64_t done) {
  std::filesystem::copy_file(complete, partial);
  hid_t f = H5Fopen(partial.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  ASSERT_GE(H5Adelete(f, "slift_complete"), 0);
  hid_t a = H5Aopen(f, "slift_n_done", H5P_DEFAULT);
  ASSERT_GE(H5Awrite(a, H5T_NATIVE_UINT64, &done), 0);
  H5Aclose(a), H5Fclose(f);
}

// Replaces a root text attribute of an HDF5 file.
void set_text_attribute(const std::string& file, const std::string& name, const std::string& text) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  H5Adelete(f, name.c_str());
  hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR);
  H5Tset_size(type, H5T_VARIABLE);
  hid_t a = H5Acreate2(f, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  const char* p = text.c_str();
  ASSERT_GE(H5Awrite(a, type, &p), 0);
  H5Aclose(a), H5Sclose(space), H5Tclose(type), H5Fclose(f);
}

// The wisdom file beside --out: made by the first run, recorded in every data set.
TEST(WaveMeasuredPlans, WisdomFileIsMadeOnceAndRecordedInTheData) {
  TempDir dir;
  const std::string config = small_config(dir), measure = "-q --set simulate.fft_plans=measure";
  ASSERT_EQ(test::run(simulate(config, dir / "a.h5", measure)).exit_code, 0);
  const std::string wisdom = test::read_file(dir / "fftw-wisdom");
  EXPECT_NE(wisdom.find("(fftw_"), std::string::npos) << wisdom;
  ASSERT_EQ(test::run(simulate(config, dir / "b.h5", measure)).exit_code, 0);
  EXPECT_EQ(test::read_file(dir / "fftw-wisdom"), wisdom) << "nothing new to measure: the file stays";
  for (const char* f : {"a.h5", "b.h5"}) EXPECT_EQ(DatasetReader(dir / f, "fields").attribute("fftw_wisdom"), wisdom);
  for (const char* a : {"t0_fields/u", "t0_fields/c"}) EXPECT_EQ(read_all(dir / "a.h5", a), read_all(dir / "b.h5", a));
  // Estimated plans (the default) neither read nor record wisdom.
  ASSERT_EQ(test::run(simulate(config, dir / "c.h5", "-q")).exit_code, 0);
  EXPECT_EQ(DatasetReader(dir / "c.h5", "fields").attribute("fftw_wisdom"), "");
}

// A wisdom file FFTW cannot read is refused before anything is written: its plans decide the
// bytes, so a silent re-measurement could change the data of a directory without a word.
TEST(WaveMeasuredPlans, UnreadableWisdomFileIsOneLineExitCode2AndWritesNothing) {
  TempDir dir;
  const std::string config = small_config(dir);
  test::write_file(dir / "fftw-wisdom", "(fftw-3.3.10 fftw_wisdom #x1 garbage");
  auto r = test::run(simulate(config, dir / "a.h5", "-q --set simulate.fft_plans=measure"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  std::string text = r.output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  EXPECT_EQ(text.find('\n'), std::string::npos) << "not one line: " << r.output;
  EXPECT_NE(text.find(dir / "fftw-wisdom"), std::string::npos) << r.output;
  EXPECT_NE(text.find("remove it"), std::string::npos) << r.output;
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"fftw-wisdom", "wave.yaml"}));
}

// A resumed .partial plans from the wisdom its blocks recorded, whatever the file beside it holds
// by then; a record that lacks a plan is one line, not a crash.
TEST(WaveMeasuredPlans, ResumePlansFromTheWisdomTheBlocksWereMadeWith) {
  TempDir dir, other;
  const std::string config = small_config(dir), measure = "--set simulate.fft_plans=measure";
  ASSERT_EQ(test::run(simulate(config, dir / "full.h5", "-q " + measure)).exit_code, 0);
  const std::string recorded = DatasetReader(dir / "full.h5", "fields").attribute("fftw_wisdom");
  // The file beside the data now holds wisdom of another grid only.
  ASSERT_EQ(test::run(simulate(config, other / "a.h5", "-q " + measure + " --set simulate.n_solve=16")).exit_code, 0);
  const std::string foreign = test::read_file(other / "fftw-wisdom");
  test::write_file(dir / "fftw-wisdom", foreign);

  const std::string out = dir / "resumed.h5";
  make_partial(dir / "full.h5", out + ".partial", 2);
  auto r = test::run(simulate(config, out, measure));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("after 2 trajectories"), std::string::npos) << r.output;
  EXPECT_EQ(DatasetReader(out, "fields").attribute("fftw_wisdom"), recorded);
  EXPECT_EQ(test::read_file(dir / "fftw-wisdom"), foreign) << "a resume measures nothing";
  for (const char* a : {"t0_fields/u", "t0_fields/c"}) EXPECT_EQ(read_all(dir / "full.h5", a), read_all(out, a)) << a;

  const std::string broken = dir / "broken.h5";
  make_partial(dir / "full.h5", broken + ".partial", 2);
  set_text_attribute(broken + ".partial", "fftw_wisdom", foreign);
  r = test::run(simulate(config, broken, measure));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("holds no plan for a 32^2 transform"), std::string::npos) << r.output;
}

// fft_plans: estimate is what data made before the key existed used: the same identity, so the
// simulate stage stays up to date; measure is other data.
TEST(WaveMeasuredPlans, EstimateKeepsTheDataIdentityMeasureChangesIt) {
  TempDir dir;
  const std::string all = test::slift_bin() + " simulate " + small_config(dir) + " ";
  ASSERT_EQ(test::run(all + "-q").exit_code, 0);
  auto r = test::run(all + "--set simulate.fft_plans=estimate");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("simulate: up to date"), std::string::npos) << r.output;
  r = test::run(all + "--set simulate.fft_plans=measure");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("simulate: up to date"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "run/data/fftw-wisdom"));
}

}  // namespace
}  // namespace slift
