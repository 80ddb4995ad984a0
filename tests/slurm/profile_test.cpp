// Cluster profiles: the shipped ones load; a bad key or value is a usage error (exit 2) naming
// the key, the file and the line, before anything is written.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "pipeline/orchestration/cluster/profile.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace slift::pipeline::cluster;
using slift::test::TempDir;

namespace {

// The message of the usage error that loading `yaml` throws, or "" if it loads.
std::string load_error(const TempDir& dir, const std::string& yaml) {
  const std::string file = dir / "profile.yaml";
  slift::test::write_file(file, yaml);
  try {
    load_profile(file);
  } catch (const slift::Error& e) {
    EXPECT_EQ(e.code(), slift::ExitCode::usage) << e.what();
    return e.what();
  }
  return "";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(Profile, ShippedProfilesLoad) {
  const Profile local = load_profile(slift::test::source_dir() + "/cluster/local.yaml");
  EXPECT_EQ(local.partition, "local");
  EXPECT_EQ(local.launcher, "mpirun");
  EXPECT_EQ(local.simulate.tasks, 2);
  EXPECT_EQ(local.array_throttle, 2);
  EXPECT_TRUE(local.train.gres.empty());
  const Profile gpu = load_profile(slift::test::source_dir() + "/cluster/generic-gpu.yaml");
  EXPECT_EQ(gpu.launcher, "srun");
  EXPECT_EQ(gpu.train.gres, "gpu:1");
  EXPECT_EQ(gpu.simulate.cpus_per_task, 4);
  EXPECT_EQ(&resources(gpu, "train:sl"), &gpu.train);
  EXPECT_EQ(&resources(gpu, "sample:ardm_k40"), &gpu.sample);
}

TEST(Profile, DefaultsFillWhatIsLeftOut) {
  TempDir dir;
  slift::test::write_file(dir / "p.yaml", "partition: short\n");
  const Profile p = load_profile(dir / "p.yaml");
  EXPECT_EQ(p.launcher, "srun");
  EXPECT_EQ(p.account, "");
  EXPECT_EQ(p.simulate.tasks, 1);
  EXPECT_EQ(p.train.time, "12:00:00");
  EXPECT_EQ(p.report.cpus_per_task, 1);
  EXPECT_EQ(p.array_throttle, 0);
}

TEST(Profile, BadKeysAndValuesAreNamedWithFileAndLine) {
  TempDir dir;
  struct Case {
    std::string yaml, expect;
  };
  const std::vector<Case> cases{
      {"partiton: gpu\n", "partiton"},                                       // typo at the top level
      {"partition: gpu\nlauncher: mpiexec\n", "profile.yaml:2: launcher"},   // not srun | mpirun
      {"train:\n  time: two hours\n", "train.time"},                         // not a SLURM time
      {"train:\n  tasks: 4\n", "train.tasks"},                               // tasks: simulate only
      {"evaluate:\n  gres: gpu:1\n", "evaluate.gres"},                       // gres: train and sample only
      {"simulate:\n  tasks: 0\n", "simulate.tasks"},                         // at least 1
      {"array_throttle: -1\n", "profile.yaml:1: array_throttle"},            // at least 0
      {"simulate:\n  cpus_per_task: many\n", "simulate.cpus_per_task"},      // not an integer
      {"partition: gpu; rm -rf x\n", "partition"},                           // goes into a script
      {"sbatch_options: [qos=normal]\n", "sbatch_options"},                  // not a long option
      {"modules: [\"cuda 12\"]\n", "modules"},                               // one word each
  };
  for (const auto& c : cases) {
    const std::string err = load_error(dir, c.yaml);
    EXPECT_TRUE(has(err, c.expect)) << "profile:\n" << c.yaml << "error: " << err;
    EXPECT_TRUE(has(err, "profile.yaml")) << err;
  }
}

TEST(Profile, SubmitWithABadProfileExitsTwoAndWritesNothing) {
  TempDir dir;
  slift::test::write_file(dir / "bad.yaml", "partition: gpu\nsimulate:\n  tasks: 4\n  time: 1:2:3:4\n");
  const std::string out = dir / "run";
  auto r = slift::test::run(slift::test::slift_bin() + " submit " + slift::test::source_dir() +
                            "/configs/duffing.yaml --profile " + (dir / "bad.yaml") + " --set output_dir=" + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "bad.yaml:4: simulate.time")) << r.output;
  EXPECT_FALSE(fs::exists(out));
  r = slift::test::run(slift::test::slift_bin() + " submit " + slift::test::source_dir() +
                       "/configs/duffing.yaml --set output_dir=" + out + " --profile " + (dir / "missing.yaml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "missing.yaml")) << r.output;
}
