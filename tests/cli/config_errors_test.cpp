// Malformed configs through the real binary: exit code 2, one line naming the key path, the
// file (and line), and nothing written under output_dir.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

using slift::test::run;
using slift::test::slift_bin;
using slift::test::TempDir;

namespace {

// A valid experiment; OUT is replaced by the test's output_dir. Line numbers matter below.
const char* kValid =
    "name: tiny\n"            // 1
    "seed: 3\n"               // 2
    "output_dir: OUT\n"       // 3
    "simulate:\n"             // 4
    "  system: duffing\n"     // 5
    "  n_train: 3\n"          // 6
    "  n_test: 2\n"           // 7
    "  n_time: 5\n"           // 8
    "  dt: 0.1\n"             // 9
    "  x0_std: [0.1, 0.1]\n"  // 10
    "train:\n"                // 11
    "  iterations: 10\n";     // 12

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto p = text.find(from);
  if (p == std::string::npos) throw std::runtime_error("test bug: '" + from + "' not in the config");
  return text.replace(p, from.size(), to);
}

struct Case {
  std::string name;
  std::string config;                  // full text (OUT replaced)
  std::string args;                    // extra command-line arguments
  std::vector<std::string> expect;     // substrings of the one error line
  int line = 0;                        // expected "file:line", 0: no line to check
};

std::vector<Case> cases() {
  const std::string v = kValid;
  return {
      {"unknown top-level key", replace(v, "seed: 3", "sed: 3"), "", {"sed", "did you mean 'seed'"}, 2},
      {"misspelt section", replace(v, "train:\n  iter", "trian:\n  iter"), "", {"trian", "did you mean 'train'"}, 11},
      {"misspelt simulate section", replace(v, "simulate:", "simulat:"), "", {"simulat", "did you mean 'simulate'"}, 4},
      {"unknown key in simulate", replace(v, "n_test: 2", "n_tset: 2"), "",
       {"simulate.n_tset", "did you mean 'n_test'"}, 7},
      {"string for a number", replace(v, "dt: 0.1", "dt: fast"), "", {"simulate.dt", "expected a number", "fast"}, 9},
      {"list for a scalar", replace(v, "n_time: 5", "n_time: [5, 6]"), "", {"simulate.n_time", "expected an integer"}, 8},
      {"fraction for an integer", replace(v, "n_train: 3", "n_train: 2.5"), "", {"simulate.n_train", "expected an integer"}, 6},
      {"negative n_train", replace(v, "n_train: 3", "n_train: -4"), "", {"simulate.n_train", ">= 1", "-4"}, 6},
      {"zero dt", replace(v, "dt: 0.1", "dt: 0"), "", {"simulate.dt", "> 0"}, 9},
      {"negative dt", replace(v, "dt: 0.1", "dt: -0.1"), "", {"simulate.dt", "> 0"}, 9},
      {"zero substeps", replace(v, "dt: 0.1", "dt: 0.1\n  substeps: 0"), "", {"simulate.substeps", ">= 1"}, 10},
      {"missing name", replace(v, "name: tiny\n", ""), "", {"name", "required key is missing"}, 0},
      {"missing system", replace(v, "  system: duffing\n", ""), "", {"simulate.system", "required key is missing"}, 0},
      {"unknown system", replace(v, "system: duffing", "system: dufing"), "", {"simulate.system", "dufing", "duffing"}, 5},
      {"yaml syntax error", replace(v, "x0_std: [0.1, 0.1]", "x0_std: [0.1, 0.1"), "", {"YAML syntax"}, 0},
      {"x0_std of the wrong length", replace(v, "x0_std: [0.1, 0.1]", "x0_std: [0.1, 0.1, 0.1]"), "",
       {"simulate.x0_std", "expected 2 values"}, 10},
      {"negative x0_std", replace(v, "x0_std: [0.1, 0.1]", "x0_std: [0.1, -0.1]"), "", {"simulate.x0_std", ">= 0"}, 10},
      {"section that is not a mapping", replace(v, "train:\n  iterations: 10\n", "train: 5\n"), "",
       {"train", "expected a mapping"}, 11},
      {"unknown key in train", replace(v, "iterations: 10", "iteratons: 10"), "",
       {"train.iteratons", "did you mean 'iterations'"}, 12},
      {"unknown key in sample", v + "sample:\n  batch_sise: 4\n", "", {"sample.batch_sise", "did you mean 'batch_size'"}, 14},
      {"unknown key in evaluate", v + "evaluate:\n  bogus_metric: 1\n", "", {"evaluate.bogus_metric", "unknown key"}, 14},
      {"headline metric of another kind", v + "evaluate:\n  headline: [wct]\n", "",
       {"evaluate.headline", "'wct' is no metric of states data", "w2_mean"}, 14},
      {"unknown extra metric", v + "evaluate:\n  metrics: [w2_mean, wtt]\n", "", {"evaluate.metrics", "'wtt'"}, 14},
      {"bad --set syntax", v, "--set simulate.n_train", {"--set", "simulate.n_train", "key.path=value"}, 0},
      {"--set of an unknown key", v, "--set simulate.n_trian=5", {"simulate.n_trian", "--set", "did you mean 'n_train'"}, 0},
      {"--set of a bad value", v, "--set simulate.dt=-1", {"simulate.dt", "--set", "> 0"}, 0},
  };
}

int count_lines(const std::string& s) {
  std::istringstream in(s);
  int n = 0;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ++n;
  return n;
}

}  // namespace

TEST(ConfigErrors, TheValidBaseConfigWritesUnderOutputDir) {
  // Control: the same set-up without the error does write, so "nothing written" below means something.
  TempDir dir;
  const std::string cfg = dir / "c.yaml";
  slift::test::write_file(cfg, replace(kValid, "OUT", dir / "out"));
  auto r = run(slift_bin() + " simulate " + cfg + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto files = dir.files();
  for (const char* f : {"out/data/train.h5", "out/data/test.h5", "out/data/floor.h5"})
    EXPECT_NE(std::find(files.begin(), files.end(), f), files.end()) << f;
}

TEST(ConfigErrors, EachMalformedConfigIsOneLineExitTwoAndWritesNothing) {
  const auto all = cases();
  ASSERT_GE(all.size(), 12u);
  for (const Case& c : all) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const std::string cfg = dir / "c.yaml";
    slift::test::write_file(cfg, replace(c.config, "OUT", dir / "out"));
    auto r = run(slift_bin() + " simulate " + cfg + " " + c.args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(count_lines(r.output), 1) << r.output;
    EXPECT_NE(r.output.find(cfg), std::string::npos) << "the file is not named: " << r.output;
    if (c.line > 0) {
      EXPECT_NE(r.output.find(cfg + ":" + std::to_string(c.line) + ":"), std::string::npos)
          << "expected line " << c.line << ": " << r.output;
    }
    for (const auto& e : c.expect) EXPECT_NE(r.output.find(e), std::string::npos) << "'" << e << "' in: " << r.output;
    EXPECT_EQ(dir.files(), std::vector<std::string>{"c.yaml"}) << r.output;
  }
}

TEST(ConfigErrors, MissingConfigFileIsAUsageError) {
  TempDir dir;
  auto r = run(slift_bin() + " simulate " + (dir / "absent.yaml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("absent.yaml"), std::string::npos) << r.output;
  EXPECT_TRUE(dir.files().empty());
}
