// `slift submit --dry-run`: the scripts and sbatch commands it prints, and stages that are up to
// date left out. No cluster needed: nothing is submitted and nothing is written.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/test_support.hpp"

namespace fs = std::filesystem;
using slift::test::run;
using slift::test::slift_bin;
using slift::test::TempDir;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A small Duffing run into `out`.
std::string config_args(const std::string& out) {
  return slift::test::source_dir() + "/configs/duffing.yaml --set output_dir=" + out +
         " --set simulate.n_train=20 --set simulate.n_test=30 --set simulate.n_time=8";
}

std::string submit_dry_run(const std::string& out, const std::string& extra = "") {
  return slift_bin() + " submit " + config_args(out) + " --profile " + slift::test::source_dir() +
         "/cluster/generic-gpu.yaml --dry-run " + extra;
}

}  // namespace

TEST(SubmitDryRun, PrintsEveryScriptAndTheChainedSbatchCommands) {
  TempDir dir;
  const std::string out = dir / "run";
  auto r = run(submit_dry_run(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const std::string stage : {"simulate", "train_sl", "train_deterministic", "sample_sl", "evaluate", "report"})
    EXPECT_TRUE(has(r.output, "# ---- " + out + "/slurm/" + stage + ".sbatch ----")) << stage << "\n" << r.output;
  EXPECT_TRUE(has(r.output, "simulate=$(sbatch --parsable '" + out + "/slurm/simulate.sbatch')")) << r.output;
  EXPECT_TRUE(has(r.output, "train_sl=$(sbatch --parsable --dependency=afterok:$simulate '")) << r.output;
  EXPECT_TRUE(has(r.output, "exec srun --ntasks=\"$SLURM_NTASKS\" --cpus-per-task=\"$SLURM_CPUS_PER_TASK\"")) << r.output;
  EXPECT_TRUE(has(r.output, "'--set' 'simulate.n_train=20'")) << r.output;
  EXPECT_TRUE(has(r.output, "#SBATCH --gres=gpu:1")) << r.output;
  EXPECT_FALSE(fs::exists(out)) << "a dry run writes nothing";
}

// train.ranks = 4: each training job is an MPI job of 4 tasks with one GPU per task; the other
// learner jobs stay one process with the profile's gres.
TEST(SubmitDryRun, ADataParallelTrainingGetsOneTaskAndOneGpuPerRank) {
  TempDir dir;
  const std::string out = dir / "run";
  auto r = run(submit_dry_run(out, "--set train.ranks=4"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto script = [&](const std::string& job) {
    const size_t begin = r.output.find("# ---- " + out + "/slurm/" + job + ".sbatch ----");
    return begin == std::string::npos ? std::string() : r.output.substr(begin, r.output.find("# ----", begin + 1) - begin);
  };
  const std::string train = script("train_sl"), sample = script("sample_sl");
  EXPECT_TRUE(has(train, "#SBATCH --ntasks=4\n#SBATCH --cpus-per-task=8\n#SBATCH --gpus-per-task=1\n")) << train;
  EXPECT_FALSE(has(train, "--gres")) << train;
  EXPECT_TRUE(has(train, "exec srun --ntasks=\"$SLURM_NTASKS\" --cpus-per-task=\"$SLURM_CPUS_PER_TASK\" --mpi=pmix '")) << train;
  EXPECT_TRUE(has(sample, "#SBATCH --ntasks=1\n")) << sample;
  EXPECT_TRUE(has(sample, "#SBATCH --gres=gpu:1\n")) << sample;
  EXPECT_FALSE(has(sample, "srun")) << sample;

  // A global batch that 3 ranks cannot split: refused while the config is read, nothing printed.
  r = run(submit_dry_run(out, "--set train.ranks=3"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "train.ranks")) << r.output;
  EXPECT_FALSE(has(r.output, "#SBATCH")) << r.output;
}

TEST(SubmitDryRun, StagesUpToDateAreNotSubmitted) {
  TempDir dir;
  const std::string out = dir / "run";
  auto r = run(slift_bin() + " run " + config_args(out) + " simulate --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run(submit_dry_run(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "simulate: up to date, not submitted")) << r.output;
  EXPECT_FALSE(has(r.output, "slurm/simulate.sbatch")) << r.output;
  EXPECT_TRUE(has(r.output, "train_sl=$(sbatch --parsable '")) << "nothing to wait for upstream\n" << r.output;
  EXPECT_FALSE(fs::exists(out + "/slurm")) << "a dry run writes nothing";
}

TEST(SubmitDryRun, TargetsLimitWhatIsSubmitted) {
  TempDir dir;
  const std::string out = dir / "run";
  auto r = run(submit_dry_run(out, "simulate"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "slurm/simulate.sbatch ----")) << r.output;
  EXPECT_FALSE(has(r.output, "train_sl")) << r.output;
}

TEST(SubmitDryRun, ASweepGoesAsThrottledArraysWithOneSimulateAndTheSummaryLast) {
  TempDir dir;
  const std::string submit = slift_bin() + " submit " + slift::test::source_dir() +
                             "/experiments/duffing-label-dim.yaml --profile " + slift::test::source_dir() +
                             "/cluster/local.yaml --dry-run --set output_dir=" + (dir / "sweep");
  auto r = run(submit);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  size_t simulates = 0;
  for (size_t at = r.output.find("\nsimulate_"); at != std::string::npos; at = r.output.find("\nsimulate_", at + 1))
    ++simulates;
  EXPECT_EQ(simulates, 1u) << r.output;
  // Nine runs: one task each, at most array_throttle (2 in cluster/local.yaml) at once.
  EXPECT_TRUE(has(r.output, "#SBATCH --job-name=train:sl-duffing-label-dim\n#SBATCH --array=0-8%2\n")) << r.output;
  EXPECT_TRUE(has(r.output, "[4]='label_dim=8/train:sl'")) << r.output;
  EXPECT_TRUE(has(r.output, "\ntrain_sl=$(sbatch --parsable --dependency=afterok:$simulate_")) << r.output;
  EXPECT_TRUE(has(r.output, "\nevaluate=$(sbatch --parsable --dependency=afterok:$simulate_4c3ebcfa10,aftercorr:$train_sl:$sample_sl "))
      << r.output;
  EXPECT_TRUE(has(r.output, "\nsummary=$(sbatch --parsable --dependency=afterok:$evaluate '")) << r.output;
  EXPECT_GT(r.output.rfind("\nsummary="), r.output.rfind("\nreport=$(")) << r.output;
  EXPECT_FALSE(has(r.output, "label_dim_4_train_sl")) << "no single jobs for per-run stages\n" << r.output;

  r = run(submit + " --throttle 3");
  EXPECT_TRUE(has(r.output, "#SBATCH --array=0-8%3\n")) << r.output;
  r = run(submit + " --throttle 0");
  EXPECT_TRUE(has(r.output, "#SBATCH --array=0-8\n")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "sweep")) << "a dry run writes nothing";
}
