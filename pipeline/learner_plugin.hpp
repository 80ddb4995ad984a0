// Loads the learner plugin (learner/plugin.hpp) on first use.
#pragma once
#include "learner/plugin.hpp"

namespace slift::pipeline {

// The learner's entry points; a usage error when this slift has no learner (built without
// LibTorch, or the plugin is missing).
const learner::Api& learner_api();

}  // namespace slift::pipeline
