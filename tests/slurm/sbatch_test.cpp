// sbatch scripts and their chaining, rendered without a cluster.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pipeline/orchestration/cluster/sbatch.hpp"
#include "support/test_support.hpp"

using namespace slift::pipeline;
using namespace slift::pipeline::cluster;

namespace {

// The Duffing DAG's shape (names and `after` only; plan_jobs() looks at nothing else).
Stage stage(std::string name, std::vector<std::string> after) {
  Stage s;
  s.name = std::move(name);
  s.after = std::move(after);
  return s;
}

std::vector<Stage> duffing_dag() {
  return {stage("simulate", {}),
          stage("train:sl", {"simulate"}),
          stage("train:deterministic", {"simulate"}),
          stage("sample:sl", {"train:sl", "simulate"}),
          stage("sample:deterministic", {"train:deterministic", "simulate"}),
          stage("evaluate", {"sample:sl", "sample:deterministic", "simulate", "train:sl", "train:deterministic"}),
          stage("report", {"evaluate"})};
}

std::vector<PlannedStage> all_stale(const std::vector<Stage>& stages) {
  std::vector<PlannedStage> plan;
  for (const auto& s : stages) plan.push_back({s.name, "never ran"});
  return plan;
}

Profile test_profile(const std::string& launcher) {
  Profile p;
  p.file = "cluster/test.yaml";
  p.partition = "gpu";
  p.account = "proj";
  p.launcher = launcher;
  p.launcher_args = {"--mpi=pmix"};
  p.simulate = {"", "02:00:00", 8, 4, ""};
  p.train = {"", "12:00:00", 1, 8, "gpu:a100:1"};
  p.sample = {"", "01:00:00", 1, 2, ""};
  p.evaluate = {"", "00:30:00", 1, 2, ""};
  p.report = {"", "00:10:00", 1, 1, ""};
  return p;
}

const JobCommand kCommand{"/opt/slift/bin/slift", "/home/u/configs/duffing.yaml", {"--set", "train.note=it's here"}};
const ScriptPaths kPaths{"/home/u", "/home/u/runs/duffing/slurm"};

Submission single(const std::string& stage, const std::string& reason) { return {stage, reason, {stage}, {}, {}}; }

std::string render(const Profile& p, const std::string& stage) {
  return render_script(p, single(stage, "never ran"), "duffing", kCommand, kPaths);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }


// A two-model sweep over three runs: a shared simulate, each run's stages under "<run>/".
std::vector<Stage> sweep_dag() {
  std::vector<Stage> dag{stage("simulate@ab12", {})};
  std::vector<std::string> evaluates;
  for (const std::string run : {"d=0/", "d=4/", "d=64/"}) {
    dag.push_back(stage(run + "train:sl", {"simulate@ab12"}));
    dag.push_back(stage(run + "sample:sl", {run + "train:sl", "simulate@ab12"}));
    dag.push_back(stage(run + "evaluate", {run + "sample:sl", "simulate@ab12", run + "train:sl"}));
    evaluates.push_back(run + "evaluate");
  }
  dag.push_back(stage("summary", evaluates));
  return dag;
}

std::vector<Dependency> afterok(std::vector<std::string> names) {
  std::vector<Dependency> out;
  for (auto& n : names) out.push_back({n, false});
  return out;
}

}  // namespace

TEST(PlanJobs, EachJobWaitsOnlyForItsUpstream) {
  const auto stages = duffing_dag();
  const auto jobs = plan_jobs(stages, all_stale(stages));
  ASSERT_EQ(jobs.size(), 7u);
  EXPECT_TRUE(jobs[0].after.empty());
  EXPECT_EQ(jobs[1].after, afterok({"simulate"}));
  EXPECT_EQ(jobs[2].after, afterok({"simulate"}));  // the two trainings run side by side
  EXPECT_EQ(jobs[3].after, afterok({"simulate", "train:sl"}));
  EXPECT_EQ(jobs[6].name, "report");
  EXPECT_EQ(jobs[6].stages, std::vector<std::string>{"report"});
  EXPECT_FALSE(jobs[6].is_array());
  EXPECT_EQ(jobs[6].after, afterok({"evaluate"}));
  EXPECT_EQ(jobs[0].reason, "never ran");
}

TEST(PlanJobs, UpToDateStagesAreLeftOutAndNotWaitedFor) {
  const auto stages = duffing_dag();
  auto plan = all_stale(stages);
  plan[0].reason = "";  // simulate up to date
  plan[2].reason = "";  // train:deterministic up to date
  plan[4].reason = "";  // sample:deterministic up to date
  const auto jobs = plan_jobs(stages, plan);
  ASSERT_EQ(jobs.size(), 4u);
  EXPECT_EQ(jobs[0].name, "train:sl");
  EXPECT_TRUE(jobs[0].after.empty());
  EXPECT_EQ(jobs[1].name, "sample:sl");
  EXPECT_EQ(jobs[1].after, afterok({"train:sl"}));
  EXPECT_EQ(jobs[2].after, afterok({"train:sl", "sample:sl"}));
  EXPECT_TRUE(plan_jobs(stages, std::vector<PlannedStage>{{"simulate", ""}}).empty());
}

TEST(PlanJobs, SweepRunsBecomeArraysThatWaitTaskByTask) {
  const auto stages = sweep_dag();
  const auto jobs = plan_jobs(stages, all_stale(stages));
  ASSERT_EQ(jobs.size(), 5u);
  EXPECT_EQ(jobs[0].name, "simulate@ab12");
  EXPECT_FALSE(jobs[0].is_array());
  EXPECT_EQ(jobs[1].name, "train:sl");
  EXPECT_EQ(jobs[1].tasks, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(jobs[1].stages, (std::vector<std::string>{"d=0/train:sl", "d=4/train:sl", "d=64/train:sl"}));
  EXPECT_EQ(jobs[1].after, afterok({"simulate@ab12"}));
  EXPECT_EQ(jobs[2].name, "sample:sl");
  EXPECT_EQ(jobs[2].after, (std::vector<Dependency>{{"simulate@ab12", false}, {"train:sl", true}}));
  EXPECT_EQ(jobs[3].name, "evaluate");
  EXPECT_EQ(jobs[3].after, (std::vector<Dependency>{{"simulate@ab12", false}, {"train:sl", true}, {"sample:sl", true}}));
  EXPECT_EQ(jobs[4].name, "summary");
  EXPECT_EQ(jobs[4].after, afterok({"evaluate"}));  // every task of the evaluate array
}

TEST(PlanJobs, AnArrayWhoseTaskHasNoPartnerUpstreamWaitsForTheWholeArray) {
  const auto stages = sweep_dag();
  auto plan = all_stale(stages);
  plan[0].reason = "";  // simulate up to date
  plan[1].reason = "";  // d=0/train:sl up to date, but its sample is stale
  const auto jobs = plan_jobs(stages, plan);
  ASSERT_EQ(jobs[0].name, "train:sl");
  EXPECT_EQ(jobs[0].tasks, (std::vector<int>{1, 2}));  // task ids stay the runs' indices
  EXPECT_TRUE(jobs[0].after.empty());
  ASSERT_EQ(jobs[1].name, "sample:sl");
  EXPECT_EQ(jobs[1].tasks, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(jobs[1].after, afterok({"train:sl"}));  // task 0 has no partner: aftercorr would be undefined
  EXPECT_EQ(jobs[2].after, (std::vector<Dependency>{{"train:sl", false}, {"sample:sl", true}}));
}

TEST(ArraySpec, SortsAndMergesRanges) {
  EXPECT_EQ(array_spec({0, 1, 2, 3}), "0-3");
  EXPECT_EQ(array_spec({5, 0, 2, 3, 8, 7}), "0,2-3,5,7-8");
  EXPECT_EQ(array_spec({4}), "4");
}

TEST(Script, AnArrayPicksItsStageByTaskIdAndIsThrottled) {
  const auto stages = sweep_dag();
  auto plan = all_stale(stages);
  plan[1].reason = "";  // d=0/train:sl up to date
  const auto jobs = plan_jobs(stages, plan);
  const Submission& train = jobs[1];
  ASSERT_EQ(train.name, "train:sl");
  const std::string s = render_script(test_profile("srun"), train, "sweep", kCommand, kPaths, 4);
  EXPECT_TRUE(has(s, "#SBATCH --job-name=train:sl-sweep\n#SBATCH --array=1-2%4\n")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --output=\"/home/u/runs/duffing/slurm/train_sl-%A_%a.out\"\n")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --gres=gpu:a100:1\n")) << s;
  EXPECT_TRUE(has(s, "stages=([1]='d=4/train:sl' [2]='d=64/train:sl')\n")) << s;
  EXPECT_TRUE(has(s, "exec '/opt/slift/bin/slift' run '/home/u/configs/duffing.yaml' \"${stages[$SLURM_ARRAY_TASK_ID]}\" "
                     "--threads")) << s;
  EXPECT_TRUE(has(render_script(test_profile("srun"), train, "sweep", kCommand, kPaths, 0), "#SBATCH --array=1-2\n"))
      << "no throttle";
  // The script runs the stage of the task it is given.
  const auto r = slift::test::run("SLURM_ARRAY_TASK_ID=2 bash -c " +
                                  shell_quote(s.substr(0, s.find("exec ")) + "echo \"${stages[$SLURM_ARRAY_TASK_ID]}\""));
  EXPECT_EQ(r.output, "d=64/train:sl\n");
}

TEST(SbatchCommand, ChainsWithAfterokOnlyWhenThereIsSomethingToWaitFor) {
  EXPECT_EQ(sbatch_command("/r/slurm/simulate.sbatch", {}), "sbatch --parsable '/r/slurm/simulate.sbatch'");
  EXPECT_EQ(sbatch_command("/r/slurm/evaluate.sbatch", {"afterok:12", "aftercorr:13"}),
            "sbatch --parsable --dependency=afterok:12,aftercorr:13 '/r/slurm/evaluate.sbatch'");
  EXPECT_EQ(sbatch_command("/r/x.sbatch", {"afterok:$train_sl"}),
            "sbatch --parsable --dependency=afterok:$train_sl '/r/x.sbatch'");
  EXPECT_EQ(script_name("sample:ardm_k40"), "sample_ardm_k40.sbatch");
  EXPECT_EQ(job_variable("train:sl"), "train_sl");
}

TEST(Script, SimulateUnderSrunGetsTasksThreadsAndCpusPerTaskExplicitly) {
  const std::string s = render(test_profile("srun"), "simulate");
  EXPECT_EQ(s.rfind("#!/bin/bash\n", 0), 0u) << s;
  EXPECT_TRUE(has(s, "#SBATCH --job-name=simulate-duffing\n")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --partition=gpu\n#SBATCH --account=proj\n#SBATCH --time=02:00:00\n")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --ntasks=8\n#SBATCH --cpus-per-task=4\n")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --chdir=\"/home/u\"\n")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --output=\"/home/u/runs/duffing/slurm/simulate-%j.out\"\n")) << s;
  EXPECT_TRUE(has(s, "export OMP_NUM_THREADS=\"$SLURM_CPUS_PER_TASK\"\n")) << s;
  EXPECT_TRUE(has(s, "exec srun --ntasks=\"$SLURM_NTASKS\" --cpus-per-task=\"$SLURM_CPUS_PER_TASK\" --mpi=pmix "
                     "'/opt/slift/bin/slift' run '/home/u/configs/duffing.yaml' 'simulate' "
                     "--threads \"$SLURM_CPUS_PER_TASK\" '--set' 'train.note=it'\\''s here'\n"))
      << s;
  EXPECT_FALSE(has(s, "--gres")) << s;
  EXPECT_FALSE(has(s, "mpirun")) << s;
}

TEST(Script, SimulateUnderMpirunUsesTheJobsTaskCount) {
  const std::string s = render(test_profile("mpirun"), "simulate");
  EXPECT_TRUE(has(s, "exec mpirun -np \"$SLURM_NTASKS\" --mpi=pmix '/opt/slift/bin/slift' run ")) << s;
  EXPECT_FALSE(has(s, "srun")) << s;
}

TEST(Script, OnlyTrainAsksForAGpuAndOnlySimulateForSeveralTasks) {
  const Profile p = test_profile("srun");
  for (const std::string stage : {"train:sl", "sample:sl", "evaluate", "report"}) {
    const std::string s = render(p, stage);
    EXPECT_EQ(has(s, "#SBATCH --gres=gpu:a100:1\n"), stage == "train:sl") << s;
    EXPECT_TRUE(has(s, "#SBATCH --ntasks=1\n")) << s;
    EXPECT_FALSE(has(s, "srun")) << s;
    EXPECT_TRUE(has(s, "exec '/opt/slift/bin/slift' run '/home/u/configs/duffing.yaml' '" + stage + "' --threads")) << s;
  }
  EXPECT_TRUE(has(render(p, "train:sl"), "#SBATCH --time=12:00:00\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=8\n"));
  EXPECT_TRUE(has(render(p, "report"), "#SBATCH --time=00:10:00\n"));
}

TEST(Script, ModulesLoadInALoginShellAndEmptySiteKeysAreLeftOut) {
  Profile p = test_profile("srun");
  p.partition = p.account = "";
  p.modules = {"openmpi/4.1", "cuda/12.1"};
  p.sbatch_options = {"--qos=normal"};
  const std::string s = render(p, "evaluate");
  EXPECT_EQ(s.rfind("#!/bin/bash -l\n", 0), 0u) << s;
  EXPECT_FALSE(has(s, "--partition")) << s;
  EXPECT_FALSE(has(s, "--account")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --qos=normal\n")) << s;
  EXPECT_TRUE(has(s, "module load openmpi/4.1\nmodule load cuda/12.1\n")) << s;
  // Modules come before the job's command, which comes last.
  EXPECT_LT(s.find("module load"), s.find("exec "));
}

TEST(Script, SaysWhichStageAndWhyAndCancelsOnAFailedUpstream) {
  const std::string s =
      render_script(test_profile("srun"), single("train:sl", "parameters changed"), "duffing", kCommand, kPaths);
  EXPECT_TRUE(has(s, "# submitted because: parameters changed\n")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --kill-on-invalid-dep=yes\n")) << s;
}

TEST(ShellQuote, SurvivesQuotesAndSpaces) {
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
}

TEST(Script, SweepStagesGetTheResourcesOfTheirKind) {
  Profile p = test_profile("srun");
  p.simulate.partition = "cpu";  // per-kind partition over the profile's
  EXPECT_EQ(stage_kind("label_dim=4/train:sl"), "train");
  EXPECT_EQ(stage_kind("simulate@4c3ebcfa10"), "simulate");
  EXPECT_EQ(stage_kind("summary"), "report");
  const std::string sim = render(p, "simulate@4c3ebcfa10");
  EXPECT_TRUE(has(sim, "#SBATCH --partition=cpu\n")) << sim;
  EXPECT_TRUE(has(sim, "exec srun --ntasks=")) << sim;
  const std::string train = render(p, "label_dim=4/train:sl");
  EXPECT_TRUE(has(train, "#SBATCH --partition=gpu\n")) << train;
  EXPECT_TRUE(has(train, "#SBATCH --gres=gpu:a100:1\n")) << train;
  EXPECT_EQ(script_name("label_dim=4/train:sl"), "label_dim_4_train_sl.sbatch");
}
