#include "learner/plugin.hpp"

extern "C" const slift::learner::Api* slift_learner_api() {
  using namespace slift::learner;
  static const Api api{kApiVersion, build_commit(), &train_model, &sample_model, &one_step_samples, &label_gradient_norm,
                          &cuda_available, &export_model};
  return &api;
}
