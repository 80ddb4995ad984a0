// What each train stage's parameters include, and so what retrains it: a model's own keys, not
// the model list and not the keys only other models read.
#include <gtest/gtest.h>

#include <algorithm>

#include "pipeline/orchestration/experiment_stages.hpp"
#include "support/test_support.hpp"

using namespace slift;

namespace {

std::string train_params(const std::string& config, const std::string& model, const std::vector<std::string>& sets) {
  const auto e = pipeline::load_experiment(config, sets);
  const auto stages = pipeline::experiment_stages(e);
  const auto s = std::find_if(stages.begin(), stages.end(), [&](const pipeline::Stage& st) { return st.name == "train:" + model; });
  EXPECT_NE(s, stages.end()) << model;
  return s == stages.end() ? "" : s->params;
}

TEST(StageParams, AModelRetrainsOnlyForTheKeysItReads) {
  const std::string config = test::source_dir() + "/configs/wave.yaml";
  const std::vector<std::string> base{"train.models=[sl, deterministic, ardm]"};
  auto with = [&](const std::string& set) {
    auto sets = base;
    sets.push_back(set);
    return sets;
  };
  for (const std::string model : {"sl", "deterministic", "ardm"}) {
    const auto reference = train_params(config, model, base);
    EXPECT_EQ(train_params(config, model, {"train.models=[" + model + "]"}), reference) << model << ": the model list";
    EXPECT_NE(train_params(config, model, with("train.lr=1e-3")), reference) << model << ": lr";
    EXPECT_EQ(train_params(config, model, with("train.label_dim=16")) == reference, model != "sl") << model << ": label_dim";
    EXPECT_EQ(train_params(config, model, with("train.label_channels=false")) == reference, model != "sl")
        << model << ": label_channels";
    EXPECT_EQ(train_params(config, model, with("train.ardm_train_steps=10")) == reference, model != "ardm")
        << model << ": ardm_train_steps";
    // How the learner runs on a device: hashed once set, absent at the defaults (the parameters of
    // runs made before these keys existed).
    EXPECT_NE(train_params(config, model, with("train.precision=bfloat16")), reference) << model << ": precision";
    EXPECT_NE(train_params(config, model, with("train.channels_last=true")), reference) << model << ": channels_last";
    for (const std::string key : {"precision", "deterministic", "channels_last"})
      EXPECT_EQ(reference.find('"' + key + "\":"), std::string::npos) << model << ": " << key << " at its default";
  }
}

}  // namespace
