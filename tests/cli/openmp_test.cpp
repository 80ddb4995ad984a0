// slift's OpenMP threads sleep while they wait (OMP_WAIT_POLICY=PASSIVE) unless the environment
// chooses a policy: with the default spin-wait, training beside one busy process ran 40x slower
// (issue 23). libgomp shows the policy it runs under with OMP_DISPLAY_ENV=verbose: the spin count
// is 0 for PASSIVE (300,000 by default).
#include <gtest/gtest.h>

#include <string>

#include "support/test_support.hpp"

using slift::test::run;
using slift::test::slift_bin;

namespace {

// The spin count of the OpenMP runtime slift's work ran under: the last one it printed (slift
// starts itself again to set the policy, so a first runtime may print its own before).
std::string spin_count(const std::string& environment) {
  const auto r = run("env -u OMP_WAIT_POLICY " + environment + " OMP_DISPLAY_ENV=verbose " + slift_bin() + " --version 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const std::string key = "GOMP_SPINCOUNT = '";
  const size_t at = r.output.rfind(key);
  if (at == std::string::npos) return "not shown: " + r.output;
  return r.output.substr(at + key.size(), r.output.find('\'', at + key.size()) - at - key.size());
}

TEST(OpenMp, ThreadsSleepWhileTheyWaitUnlessTheEnvironmentChooses) {
  EXPECT_EQ(spin_count(""), "0");
  EXPECT_NE(spin_count("OMP_WAIT_POLICY=ACTIVE"), "0");
}

}  // namespace
