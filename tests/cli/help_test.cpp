// `slift --help` and every subcommand's help: exit 0, an example, and fast start-up.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "support/test_support.hpp"

using slift::test::run;
using slift::test::slift_bin;

TEST(Help, TopLevelHelpHasAnExample) {
  auto r = run(slift_bin() + " --help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Example"), std::string::npos) << r.output;
  for (const char* sub : {"simulate", "train", "sample", "evaluate", "run", "submit", "inspect"})
    EXPECT_NE(r.output.find(sub), std::string::npos) << sub << " missing from:\n" << r.output;
}

TEST(Help, EverySubcommandHelpHasAnExample) {
  for (const char* sub : {"simulate", "train", "sample", "evaluate", "run", "submit", "inspect"}) {
    auto r = run(slift_bin() + " " + sub + " --help");
    EXPECT_EQ(r.exit_code, 0) << sub << ":\n" << r.output;
    EXPECT_NE(r.output.find("Example"), std::string::npos) << sub << ":\n" << r.output;
    EXPECT_NE(r.output.find(std::string("slift ") + sub), std::string::npos) << sub << ":\n" << r.output;
  }
}

TEST(Help, HelpIsFast) {
  // No MPI, LibTorch or HDF5 set-up before a subcommand needs it: median of 5 runs < 0.2 s
  // (the shell that run() starts is included, so the real margin is larger).
  std::vector<double> seconds;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = run(slift_bin() + " --help");
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    ASSERT_EQ(r.exit_code, 0);
  }
  std::sort(seconds.begin(), seconds.end());
  EXPECT_LT(seconds[2], 0.2) << "median of 5 runs of slift --help";
}

TEST(Help, MissingSubcommandAndUnknownFlagsAreUsageErrors) {
  auto r = run(slift_bin());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("subcommand"), std::string::npos) << r.output;
  r = run(slift_bin() + " --no-such-flag");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run(slift_bin() + " frobnicate");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run(slift_bin() + " simulate " + slift::test::source_dir() + "/configs/duffing.yaml --no-such-flag");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run(slift_bin() + " simulate");  // CONFIG is required
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run(slift_bin() + " simulate " + slift::test::source_dir() + "/configs/duffing.yaml --split nope");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST(Help, VersionNamesTheCommit) {
  auto r = run(slift_bin() + " --version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("("), std::string::npos) << r.output;
}
