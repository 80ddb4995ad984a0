// What a model file holds, torch-free: for tests, reports and experiments (loss curves).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slift::learner {

struct ModelInfo {
  std::string model;                 // sl | deterministic | ardm
  std::string arch;                  // mlp | unet
  int64_t dim = 0, window = 1, label_dim = 0;
  std::vector<float> losses;         // training loss per step
  std::vector<float> parameters;     // every weight, flattened in module order
};

ModelInfo read_model_info(const std::string& path);

}  // namespace slift::learner
