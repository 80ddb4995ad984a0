// A tiny field model (UNet on 8 x 8, window 2, labels of 3) as the model file holds it, for the
// tests that need one without training it (its network is still to be made: Net(m.spec)).
#pragma once
#include <string>
#include <vector>

#include "learner/model.hpp"

namespace slift::learner {

inline LoadedModel field_model(const std::string& model) {
  LoadedModel m;
  m.spec.model = model;
  m.spec.options.arch = "unet";
  m.spec.options.unet_widths = {8, 16};
  m.spec.options.embed_dim = 8;
  m.spec.options.label_dim = 3;
  m.spec.options.window = 2;
  m.spec.dim = 64, m.spec.grid = {8, 8}, m.spec.periodic = {false, false};
  m.norm = {std::vector<float>(64, 0.5f), std::vector<float>(64, 2.f), std::vector<float>(64, 0.25f)};
  m.losses = {1.f, 0.5f};
  m.seed = 9;
  m.config_yaml = "name: x\n";
  return m;
}

}  // namespace slift::learner
