// A learner plugin as a broken or foreign build could present it, for reliability_plugin_test:
// with SLIFT_BROKEN_NULL_API its slift_learner_api returns NULL; without, it returns an API of this
// build (version and commit match) whose entry points are all null.
#include "core/version.hpp"
#include "learner/plugin.hpp"

extern "C" const slift::learner::Api* slift_learner_api() {
#ifdef SLIFT_BROKEN_NULL_API
  return nullptr;
#else
  static const slift::learner::Api api{slift::learner::kApiVersion, slift::git_commit(), nullptr, nullptr, nullptr,
                                       nullptr, nullptr, nullptr};
  return &api;
#endif
}
