#include "pipeline/learner_plugin.hpp"

#include <dlfcn.h>

#include "core/error.hpp"
#include "core/version.hpp"

namespace slift::pipeline {

void check_plugin(const learner::Api& api, const std::string& file) {
  // The version first: a plugin of another API may not even have the commit field.
  if (api.version != learner::kApiVersion)
    runtime_error(file + " is from another slift build (plugin API " + std::to_string(api.version) + ", this slift " +
                  std::to_string(learner::kApiVersion) + "): rebuild or reinstall slift and its plugin together");
  if (!api.commit || std::string(api.commit) != git_commit())
    runtime_error(file + " is from another slift build (commit " + (api.commit ? api.commit : "none") + ", this slift " +
                  git_commit() + "): rebuild or reinstall slift and its plugin together");
}

const learner::Api& plugin_api(void* handle, const std::string& file) {
  auto entry = reinterpret_cast<const learner::Api* (*)()>(dlsym(handle, "slift_learner_api"));
  if (!entry) runtime_error(file + " has no slift_learner_api");
  const learner::Api* api = entry();
  if (!api) runtime_error(file + " is not a usable slift learner: slift_learner_api returned no API (null)");
  check_plugin(*api, file);
  // Every entry point is called unchecked later: a missing one would end in a signal there.
  const std::pair<const char*, bool> entries[] = {{"train", api->train != nullptr},
                                                  {"sample", api->sample != nullptr},
                                                  {"one_step", api->one_step != nullptr},
                                                  {"gradient_norm", api->gradient_norm != nullptr},
                                                  {"has_cuda", api->has_cuda != nullptr},
                                                  {"export_torchscript", api->export_torchscript != nullptr}};
  for (const auto& [name, present] : entries)
    if (!present) runtime_error(file + " is not a usable slift learner: its entry point " + name + " is null");
  return *api;
}

const learner::Api& learner_api() {
  static const learner::Api* api = [] {
    // The plugin of this build tree first, then the library search path (installed: ../lib).
    void* handle = nullptr;
    std::string errors, file;
    for (const char* name : {SLIFT_LEARNER_PLUGIN, "libslift_learner.so"}) {
      if (!*name) continue;
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle) {
        file = name;
        break;
      }
      errors += std::string("\n  ") + dlerror();
    }
    if (!handle)
      usage_error("this slift has no learner: it was built without LibTorch (SLIFT_WITH_TORCH=OFF) or "
                  "libslift_learner.so is missing" + errors);
    return &plugin_api(handle, file);
  }();
  return *api;
}

std::vector<float> one_step_model_samples(const std::string& model_path, const std::vector<float>& states,
                                          int64_t n_states, int64_t n, uint64_t seed) {
  return learner_api().one_step(model_path, states, n_states, n, seed);
}

}  // namespace slift::pipeline
