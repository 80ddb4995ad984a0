// Loads the learner plugin (learner/plugin.hpp) on first use: the learner as the pipeline sees it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "learner/plugin.hpp"

namespace slift::pipeline {

// The learner's entry points; a usage error when this slift has no learner (built without
// LibTorch, or the plugin is missing), a run-time error when the plugin is from another build.
const learner::Api& learner_api();

// Refuses, in one line naming `file`, a plugin of another API version or another git commit than
// this slift: its models and this slift's configs could disagree in ways no check sees.
void check_plugin(const learner::Api& api, const std::string& file);

// The checked API of a plugin opened with dlopen() from `file`: a run-time error naming the file
// when it has no slift_learner_api, that returns no API, check_plugin refuses it, or one of its
// entry points is null (it would end in a signal where it is called).
const learner::Api& plugin_api(void* handle, const std::string& file);

// One-step samples of a trained model at given states (n_states x n x dim), for evaluation.
std::vector<float> one_step_model_samples(const std::string& model_path, const std::vector<float>& states,
                                          int64_t n_states, int64_t n, uint64_t seed);

}  // namespace slift::pipeline
