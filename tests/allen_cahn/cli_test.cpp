// `slift simulate` with the Allen-Cahn system: config errors refused before anything is written.
#include <gtest/gtest.h>

#include <string>

#include "support/test_support.hpp"

namespace slift {
namespace {

using test::TempDir;

struct BadValue {
  std::string set;   // --set override
  std::string key;   // the key the message must name
  std::string also;  // another part the message must contain
};

void PrintTo(const BadValue& b, std::ostream* os) { *os << b.set; }

class AllenCahnConfigError : public ::testing::TestWithParam<BadValue> {};

TEST_P(AllenCahnConfigError, ExitsWithCode2AndOneLineNamingTheKeyAndFileAndWritesNothing) {
  TempDir dir;
  const std::string config = dir / "ac.yaml";
  test::write_file(config, "name: ac-test\nseed: 3\noutput_dir: " + dir.path() +
                               "/run\nsimulate:\n  system: allen_cahn\n  n_train: 4\n  n_test: 4\n"
                               "  n_cells: 16\n  t_end: 2.0\n  n_frames: 5\n  dt: 0.05\n");
  auto r = test::run(test::slift_bin() + " simulate " + config + " --split train --out " + (dir / "out.h5") +
                     " --set " + GetParam().set);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  std::string text = r.output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  EXPECT_EQ(text.find('\n'), std::string::npos) << "not one line: " << r.output;
  EXPECT_NE(text.find(GetParam().key), std::string::npos) << r.output;
  EXPECT_NE(text.find(GetParam().also), std::string::npos) << r.output;
  EXPECT_NE(text.find("ac.yaml"), std::string::npos) << "the file is not named: " << r.output;
  EXPECT_EQ(dir.files(), std::vector<std::string>{"ac.yaml"});
}

INSTANTIATE_TEST_SUITE_P(
    AllenCahn, AllenCahnConfigError,
    ::testing::Values(BadValue{"simulate.n_cells=15", "simulate.n_cells", "even number in [4, 65536]"},
                      BadValue{"simulate.n_cells=2", "simulate.n_cells", "even number in [4, 65536]"},
                      BadValue{"simulate.nu=0", "simulate.nu", "> 0"},
                      BadValue{"simulate.sigma=-1", "simulate.sigma", ">= 0"},
                      BadValue{"simulate.length=-6", "simulate.length", "> 0"},
                      BadValue{"simulate.cubic=sometimes", "simulate.cubic", ""},
                      BadValue{"simulate.t_end=0", "simulate.t_end", "> 0"},
                      BadValue{"simulate.n_frames=1", "simulate.n_frames", ">= 2"},
                      BadValue{"simulate.dt=0.2", "simulate.dt", "<= 0.1 with the cubic"},
                      BadValue{"simulate.dt=0.03", "simulate.dt", "the largest dt below it that does: 0.0294118"},
                      BadValue{"simulate.dt=-0.01", "simulate.dt", "> 0"},
                      BadValue{"simulate.initial.mean=3", "simulate.initial.mean", "[-2, 2]"},
                      BadValue{"simulate.initial.spread=-1", "simulate.initial.spread", ">= 0"},
                      BadValue{"simulate.initial.width=1", "simulate.initial.width", "unknown"},
                      BadValue{"simulate.sigmma=1", "simulate.sigmma", "did you mean 'sigma'"}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

// Without the cubic a dt up to the frame interval is stable (the linear part is exact).
TEST(AllenCahnSimulate, LinearEquationAcceptsADtOfAWholeFrame) {
  TempDir dir;
  const std::string config = dir / "ac.yaml";
  test::write_file(config, "name: ac-test\nseed: 3\noutput_dir: " + dir.path() +
                               "/run\nsimulate:\n  system: allen_cahn\n  n_train: 4\n  n_test: 4\n"
                               "  n_cells: 16\n  t_end: 2.0\n  n_frames: 5\n  dt: 0.5\n  cubic: false\n");
  auto r = test::run(test::slift_bin() + " simulate " + config + " --split train --out " + (dir / "out.h5") + " -q");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace slift
