// The learner plugin is checked by API version and build commit when slift loads it: a plugin of
// another build is refused in one line naming the file.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/version.hpp"
#include "pipeline/learner_plugin.hpp"
#include "support/test_support.hpp"

using namespace slift;

namespace {

template <class F>
std::string runtime_message(F&& f) {
  return test::error_message(ExitCode::runtime, std::forward<F>(f));
}

TEST(LearnerPlugin, ThisBuildsPluginIsAcceptedAndCarriesItsCommit) {
  const learner::Api* api = nullptr;
  try {
    api = &pipeline::learner_api();
  } catch (const Error& e) {
    if (e.code() == ExitCode::usage) GTEST_SKIP() << "a build without the learner: " << e.what();
    throw;
  }
  EXPECT_EQ(api->version, learner::kApiVersion);
  EXPECT_STREQ(api->commit, git_commit());
}

TEST(LearnerPlugin, AnotherBuildIsRefusedInOneLine) {
  learner::Api api{};
  api.version = learner::kApiVersion;
  api.commit = git_commit();
  EXPECT_EQ(runtime_message([&] { pipeline::check_plugin(api, "lib/libslift_learner.so"); }), "");

  api.commit = "0123456789ab";
  std::string m = runtime_message([&] { pipeline::check_plugin(api, "lib/libslift_learner.so"); });
  EXPECT_NE(m.find("lib/libslift_learner.so is from another slift build (commit 0123456789ab"), std::string::npos) << m;
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 0) << m;

  // Another API version is refused before its fields are read (the commit may not exist there).
  api.version = learner::kApiVersion - 1;
  api.commit = nullptr;
  m = runtime_message([&] { pipeline::check_plugin(api, "lib/libslift_learner.so"); });
  EXPECT_NE(m.find("plugin API " + std::to_string(learner::kApiVersion - 1)), std::string::npos) << m;
}

}  // namespace
