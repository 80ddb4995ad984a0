// Bad flow configs: exit code 2, one line naming the key, nothing written.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

using slift::test::run;
using slift::test::slift_bin;
using slift::test::TempDir;

namespace {

std::string config(const std::string& output_dir, const std::string& extra_simulate) {
  return "name: bad\nseed: 1\noutput_dir: " + output_dir +
         "\nsimulate:\n  system: flow\n  n_train: 2\n  n_test: 2\n  nx: 8\n  ny: 8\n  n_frames: 3\n" + extra_simulate;
}

}  // namespace

TEST(FlowConfig, BadValuesAreRefusedNamingTheKey) {
  struct Case {
    const char* what;
    std::string yaml;  // appended to the simulate section
    const char* key;   // expected in the message
  };
  const std::vector<Case> cases{
      {"negative viscosity", "  mu_o: -1.0\n", "simulate.mu_o"},
      {"zero viscosity", "  mu_w: 0\n", "simulate.mu_w"},
      {"swc + sor >= 1", "  swc: 0.6\n  sor: 0.4\n", "simulate.sor"},
      {"well outside the grid", "  wells:\n    - {cell: [0, 0], rate: 1}\n    - {cell: [8, 3], rate: -1}\n",
       "simulate.wells[1].cell"},
      {"negative cell", "  wells:\n    - {cell: [-1, 0], rate: 1}\n    - {cell: [7, 7], rate: -1}\n",
       "simulate.wells[0].cell"},
      {"unbalanced rates", "  wells:\n    - {cell: [0, 0], rate: 1}\n    - {cell: [7, 7], rate: -0.5}\n",
       "simulate.wells"},
      {"unknown well key", "  wells:\n    - {cell: [0, 0], rate: 1, radius: 0.1}\n    - {cell: [7, 7], rate: -1}\n",
       "simulate.wells[0].radius"},
      {"porosity above one", "  porosity: 1.5\n", "simulate.porosity"},
      {"unknown permeability model", "  permeability: {model: gaussian}\n", "simulate.permeability.model"},
      {"Matérn key for a uniform medium", "  permeability: {model: uniform, sigma: 1.0}\n",
       "simulate.permeability.sigma"},
      {"embedding cap", "  permeability: {length: 5.0, nu: 8, max_embedding: 2.5}\n",
       "simulate.permeability.max_embedding"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    const std::string cfg = dir / "bad.yaml";
    slift::test::write_file(cfg, config(dir / "out", c.yaml));
    auto r = run(slift_bin() + " simulate " + cfg);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    std::istringstream lines(r.output);
    std::string line;
    int n_lines = 0;
    while (std::getline(lines, line))
      if (!line.empty()) ++n_lines;
    EXPECT_EQ(n_lines, 1) << r.output;
    EXPECT_NE(r.output.find(c.key), std::string::npos) << r.output;
    EXPECT_EQ(dir.files(), std::vector<std::string>{"bad.yaml"});
  }
}

TEST(FlowConfig, GoodConfigRuns) {
  TempDir dir;
  const std::string cfg = dir / "ok.yaml";
  slift::test::write_file(cfg, config(dir / "out", "  wells:\n    - {cell: [0, 0], rate: 2}\n    - {cell: [7, 0], rate: -1}\n"
                                                   "    - {cell: [7, 7], rate: -1}\n"));
  auto r = run(slift_bin() + " simulate " + cfg + " --split train");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}
