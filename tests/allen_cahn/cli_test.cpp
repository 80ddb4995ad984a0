// `slift simulate` with the Allen-Cahn system: config errors refused before anything is written.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace slift {
namespace {

using test::TempDir;

// `slift simulate` of a small config in dir, followed by `extra`.
test::CommandResult simulate(const TempDir& dir, const std::string& extra) {
  const std::string config = dir / "ac.yaml";
  test::write_file(config, "name: ac-test\nseed: 3\noutput_dir: " + dir.path() +
                               "/run\nsimulate:\n  system: allen_cahn\n  n_train: 4\n  n_test: 4\n"
                               "  n_cells: 16\n  t_end: 2.0\n  n_frames: 5\n  dt: 0.05\n");
  return test::run(test::slift_bin() + " simulate " + config + " --split train --out " + (dir / "out.h5") + " " + extra);
}

TEST(AllenCahnConfig, BadValuesExitWithCode2AndOneLineNamingTheKeyAndFileAndWriteNothing) {
  struct Case {
    std::string set;   // --set override
    std::string key;   // the key the message must name
    std::string also;  // another part the message must contain
  };
  const std::vector<Case> cases{
      {"simulate.n_cells=15", "simulate.n_cells", "even number in [4, 65536]"},
      {"simulate.n_cells=2", "simulate.n_cells", "even number in [4, 65536]"},
      {"simulate.nu=0", "simulate.nu", "> 0"},
      {"simulate.sigma=-1", "simulate.sigma", ">= 0"},
      {"simulate.length=-6", "simulate.length", "> 0"},
      {"simulate.cubic=sometimes", "simulate.cubic", "sometimes"},
      {"simulate.t_end=0", "simulate.t_end", "> 0"},
      {"simulate.n_frames=1", "simulate.n_frames", ">= 2"},
      {"simulate.dt=0.2", "simulate.dt", "<= 0.1 with the cubic"},
      {"simulate.dt=0.03", "simulate.dt", "the largest dt below it that does: 0.0294118"},
      {"simulate.dt=-0.01", "simulate.dt", "> 0"},
      {"simulate.initial.mean=3", "simulate.initial.mean", "[-2, 2]"},
      {"simulate.initial.spread=-1", "simulate.initial.spread", ">= 0"},
      {"simulate.initial.width=1", "simulate.initial.width", "unknown"},
      {"simulate.sigmma=1", "simulate.sigmma", "did you mean 'sigma'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.set);
    TempDir dir;
    test::expect_usage_error(simulate(dir, "--set " + c.set), {c.key, c.also, "ac.yaml"});
    EXPECT_EQ(dir.files(), std::vector<std::string>{"ac.yaml"});
  }
}

// Without the cubic a dt up to the frame interval is stable (the linear part is exact).
TEST(AllenCahnConfig, LinearEquationAcceptsADtOfAWholeFrame) {
  TempDir dir;
  auto r = simulate(dir, "--set simulate.cubic=false --set simulate.dt=0.5 -q");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace slift
