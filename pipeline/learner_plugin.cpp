#include "pipeline/learner_plugin.hpp"

#include <dlfcn.h>

#include "core/error.hpp"

namespace slift::pipeline {

const learner::Api& learner_api() {
  static const learner::Api* api = [] {
    // The plugin of this build tree first, then the library search path (installed: ../lib).
    void* handle = nullptr;
    std::string errors;
    for (const char* name : {SLIFT_LEARNER_PLUGIN, "libslift_learner.so"}) {
      if (!*name) continue;
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle) break;
      errors += std::string("\n  ") + dlerror();
    }
    if (!handle)
      usage_error("this slift has no learner: it was built without LibTorch (SLIFT_WITH_TORCH=OFF) or "
                  "libslift_learner.so is missing" + errors);
    auto entry = reinterpret_cast<const learner::Api* (*)()>(dlsym(handle, "slift_learner_api"));
    if (!entry) runtime_error("libslift_learner.so has no slift_learner_api");
    const learner::Api* a = entry();
    if (a->version != learner::kApiVersion) runtime_error("libslift_learner.so is from another slift build");
    return a;
  }();
  return *api;
}

}  // namespace slift::pipeline
