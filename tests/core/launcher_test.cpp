// Without a launcher a process is one rank and never starts MPI; the launchers are told apart
// by the environment they set.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdlib>
#include <vector>

#include "core/mpi_env.hpp"

namespace mpi = slift::mpi;

namespace {

const char* const kLauncherVars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_RANK",      "PMI_SIZE",
                                     "PMIX_RANK",            "SLURM_STEP_ID", "SLURM_STEP_NUM_TASKS"};

class Launcher : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* var : kLauncherVars) unsetenv(var);
  }
};

}  // namespace

TEST_F(Launcher, NoneMeansOneRankAndMpiNeverStarted) {
  ASSERT_FALSE(mpi::launched_by_mpi());
  mpi::ensure_initialized();
  int init = 1;
  MPI_Initialized(&init);
  EXPECT_EQ(init, 0);
  EXPECT_EQ(mpi::rank(), 0);
  EXPECT_EQ(mpi::size(), 1);
  EXPECT_EQ(mpi::broadcast(42), 42u);
  const std::vector<float> mine{1.5f, -2.0f, 3.25f};
  EXPECT_EQ(mpi::gather_to_root(mine), mine);
  mpi::barrier();
}

TEST_F(Launcher, MpirunAndPmiLaunchersAreRecognisedWithAnyRankCount) {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "PMIX_RANK"}) {
    SCOPED_TRACE(var);
    setenv(var, "1", 1);
    EXPECT_TRUE(mpi::launched_by_mpi());
    unsetenv(var);
    EXPECT_FALSE(mpi::launched_by_mpi());
  }
}

TEST_F(Launcher, SrunCountsOnlyForAStepOfSeveralTasks) {
  setenv("SLURM_STEP_NUM_TASKS", "4", 1);
  EXPECT_FALSE(mpi::launched_by_mpi());  // no step: a batch script's own environment
  setenv("SLURM_STEP_ID", "0", 1);
  EXPECT_TRUE(mpi::launched_by_mpi());
  setenv("SLURM_STEP_NUM_TASKS", "1", 1);
  EXPECT_FALSE(mpi::launched_by_mpi());  // one task: serial gives the same bytes without MPI
}
