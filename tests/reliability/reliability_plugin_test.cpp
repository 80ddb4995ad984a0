// Item 10 (issue 24): a learner plugin whose API call returns NULL, or whose entry points are null,
// was used unchecked (signal 11). Now it is refused in one line naming the file, exit code 1.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "pipeline/learner_plugin.hpp"
#include "support/test_support.hpp"

namespace {

std::string refusal_of(const std::string& plugin) {
  void* handle = dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  EXPECT_NE(handle, nullptr) << dlerror();
  if (!handle) return "";
  return slift::test::error_message(slift::ExitCode::runtime, [&] { slift::pipeline::plugin_api(handle, plugin); });
}

TEST(ReliabilityPlugin, AnApiCallReturningNullIsRefusedNamingThePlugin) {
  const std::string m = refusal_of(SLIFT_NULL_API_PLUGIN);
  EXPECT_EQ(m, std::string(SLIFT_NULL_API_PLUGIN) +
                   " is not a usable slift learner: slift_learner_api returned no API (null)");
}

TEST(ReliabilityPlugin, NullEntryPointsAreRefusedNamingThePlugin) {
  const std::string m = refusal_of(SLIFT_NULL_FUNCTIONS_PLUGIN);
  EXPECT_EQ(m, std::string(SLIFT_NULL_FUNCTIONS_PLUGIN) + " is not a usable slift learner: its entry point train is null");
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 0) << m;
}

}  // namespace
