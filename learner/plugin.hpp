// The learner as a run-time plugin. `slift` loads libslift_learner.so (and with it LibTorch) only
// when a stage trains or samples: LibTorch's start-up costs about half a second of CPU, which
// `slift --help`, `inspect`, `simulate` and an up-to-date `run` must not pay.
#pragma once
#include "learner/export.hpp"
#include "learner/learner.hpp"

namespace slift::learner {

// The git commit the plugin was built from (learner/build_commit.cpp.in).
const char* build_commit();

// Every entry point of learner.hpp, as function pointers. `version` (first, read before anything
// else) and `commit` guard against a plugin from another build.
struct Api {
  int version;
  const char* commit;
  decltype(&train_model) train;
  decltype(&sample_model) sample;
  decltype(&one_step_samples) one_step;
  decltype(&label_gradient_norm) gradient_norm;
  decltype(&learner::cuda_available) has_cuda;
  decltype(&export_model) export_torchscript;
};
constexpr int kApiVersion = 7;  // 7: TrainResult and SampleResult carry their whole records

}  // namespace slift::learner

extern "C" const slift::learner::Api* slift_learner_api();
