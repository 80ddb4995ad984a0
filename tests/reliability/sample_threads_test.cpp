// Item 19 of issue 24 (needs the LibTorch plugin): sampling inherited the thread count of whatever
// ran before it in the process, so the recorded throughput (and the rounding of its products)
// depended on how the stage was started. The stage now sets sample.threads itself (default: as
// train.threads) and records it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/dataset.hpp"
#include "support/test_support.hpp"

using slift::test::CommandResult;
using slift::test::run;
using slift::test::slift_bin;
using slift::test::TempDir;

namespace {

std::string duffing(const TempDir& dir, const std::string& command, const std::string& run_dir) {
  return slift_bin() + " " + command + " " + slift::test::source_dir() + "/configs/duffing.yaml --set output_dir=" +
         dir.path() + "/" + run_dir + " --set simulate.n_train=20 --set simulate.n_test=20 --set simulate.n_time=16 "
         "--set 'train.models=[deterministic]' --set train.width=32 --set train.iterations=50 --set train.threads=1 "
         "--set evaluate.conditional_states=0 -q";
}

int recorded_threads(const std::string& sample_json) {
  return nlohmann::json::parse(slift::test::read_file(sample_json))["threads"].get<int>();
}

}  // namespace

TEST(ReliabilitySampleThreads, TheStageSetsItsThreadsHowEverItWasStarted) {
  TempDir dir;
  // All stages in one process after a training on 1 thread, and the sample stage alone in a
  // process of 2 threads: the same thread count (train.threads), recorded, and the same bits.
  CommandResult r = run(duffing(dir, "run", "a") + " --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run(duffing(dir, "run", "b") + " --threads 2 train");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run(duffing(dir, "sample", "b") + " --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(recorded_threads(dir / "a/samples/deterministic.json"), 1);
  EXPECT_EQ(recorded_threads(dir / "b/samples/deterministic.json"), 1);
  // The arrays (the files' headers name their own run directories).
  EXPECT_EQ(slift::DatasetReader(dir / "a/samples/deterministic.h5").read("states"),
            slift::DatasetReader(dir / "b/samples/deterministic.h5").read("states"));

  // Set explicitly: the stage runs on that many and records it.
  r = run(duffing(dir, "sample", "b") + " --threads 1 --set sample.threads=2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(recorded_threads(dir / "b/samples/deterministic.json"), 2);
}
