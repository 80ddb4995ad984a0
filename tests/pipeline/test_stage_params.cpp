// What each train stage's parameters include, and so what retrains it: a model's own keys, not
// the model list and not the keys only other models read.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "learner/options.hpp"
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

learner::TrainOptions parse(const std::string& yaml) {
  auto c = config::Config::from_string(yaml);
  auto root = c.root();
  auto s = root.section("train");
  return learner::parse_train(s);
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
    EXPECT_NE(train_params(config, model, with("train.performance=fast")), reference) << model << ": performance";
    for (const std::string key : {"precision", "deterministic", "channels_last", "performance"})
      EXPECT_EQ(reference.find('"' + key + "\":"), std::string::npos) << model << ": " << key << " at its default";
  }
}

// The settings table: the parsed defaults are the table's, and a config that sets a key gets it.
TEST(ModelSettings, TheTableGivesDefaultsAndParsing) {
  const learner::TrainOptions defaults;
  const auto parsed = parse("train: {}");
  for (const auto& s : learner::model_settings()) {
    EXPECT_TRUE(s.at_default(defaults)) << s.key;
    EXPECT_TRUE(s.at_default(parsed)) << s.key;
    EXPECT_FALSE(s.doc.empty()) << s.key;
  }
  const auto set = parse("train: {arch: unet, label_dim: 7, lr: 0.5, unet_widths: [8, 16], channels_last: true}");
  EXPECT_EQ(set.label_dim, 7);
  EXPECT_EQ(set.lr, 0.5);
  EXPECT_EQ(set.unet_widths, (std::vector<int64_t>{8, 16}));
  EXPECT_TRUE(set.channels_last);
  // Checks against earlier settings still name the key.
  try {
    parse("train: {arch: mlp, channels_last: true}");
    ADD_FAILURE() << "channels_last with an MLP accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("train.channels_last"), std::string::npos) << e.what();
  }
}

// Each check of a setting lives in its row of the table: a config and options from elsewhere (the
// learner's API: settings_error) are refused with the same text. The diffusion model's two
// checks (a UNet, an even time embedding) were the learner's only, after the data were made.
TEST(ModelSettings, ACheckIsSaidOnceForConfigsAndOptions) {
  struct Case {
    std::string yaml, model;
    void (*edit)(learner::TrainOptions&);
  };
  const Case cases[] = {
      {"train: {shuffle_fraction: 2}", "sl", [](learner::TrainOptions& o) { o.shuffle_fraction = 2; }},
      {"train: {target: final}", "sl", [](learner::TrainOptions& o) { o.target = "final"; }},
      {"train: {arch: unet, unet_widths: [12]}", "sl", [](learner::TrainOptions& o) { o.arch = "unet", o.unet_widths = {12}; }},
      {"train: {arch: unet, output: extrapolation}", "sl", [](learner::TrainOptions& o) { o.arch = "unet", o.output = "extrapolation"; }},
      {"train: {models: [ardm]}", "ardm", [](learner::TrainOptions&) {}},
      {"train: {models: [ardm], arch: unet, embed_dim: 7}", "ardm", [](learner::TrainOptions& o) { o.arch = "unet", o.embed_dim = 7; }},
  };
  for (const auto& c : cases) {
    learner::TrainOptions o;
    c.edit(o);
    const auto said = learner::settings_error(o, c.model);
    ASSERT_TRUE(said) << c.yaml;
    const std::string config = test::usage_message([&] { parse(c.yaml); });
    ASSERT_GE(config.size(), said->size()) << c.yaml << ": " << config;
    EXPECT_EQ(config.substr(config.size() - said->size()), *said) << c.yaml;
  }
  EXPECT_FALSE(learner::settings_error(learner::TrainOptions(), "sl"));
  EXPECT_FALSE(learner::settings_error(parse("train: {arch: unet, models: [ardm], embed_dim: 8}"), "ardm"));
}

// train.performance: one key for speed, resolved per device; it leaves the three keys it sets to
// itself, and `deterministic` (the default) changes nothing.
TEST(ModelSettings, PerformanceFastIsResolvedPerDevice) {
  const auto fast = parse("train: {arch: unet, unet_widths: [8, 16], performance: fast}");
  EXPECT_EQ(fast.performance, "fast");
  const auto cuda = learner::for_device(fast, /*cuda=*/true);
  EXPECT_EQ(cuda.precision, "bfloat16");
  EXPECT_FALSE(cuda.deterministic);
  EXPECT_TRUE(cuda.channels_last);
  const auto cpu = learner::for_device(fast, false);  // the CPU's bf16 is slower than its float32: float32 stays
  EXPECT_EQ(cpu.precision, "float32");
  EXPECT_TRUE(cpu.deterministic);
  EXPECT_FALSE(cpu.channels_last);
  EXPECT_FALSE(learner::for_device(parse("train: {performance: fast}"), true).channels_last) << "an MLP";
  const auto plain = parse("train: {arch: unet, unet_widths: [8, 16]}");
  EXPECT_EQ(learner::training_identity(learner::for_device(plain, true), "sl"), learner::training_identity(plain, "sl"));
  for (const std::string bad : {"train: {performance: fast, precision: bfloat16}", "train: {performance: quick}"}) {
    try {
      parse(bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("train.performance"), std::string::npos) << e.what();
      EXPECT_EQ(e.code(), ExitCode::usage) << e.what();
    }
  }
}

// A checkpoint resumes exactly when what its model reads is unchanged: settings the model does
// not read, those of the other network and how the run is logged leave it alone; a later setting
// at its default is not part of it (checkpoints from before it stay valid).
TEST(ModelSettings, TheCheckpointIdentityHoldsWhatTheModelReads) {
  learner::TrainOptions o;
  o.arch = "unet";
  const auto sl = learner::training_identity(o, "sl"), det = learner::training_identity(o, "deterministic");
  auto changed = [&](const std::string& model, void (*edit)(learner::TrainOptions&)) {
    auto p = o;
    edit(p);
    return learner::training_identity(p, model) != learner::training_identity(o, model);
  };
  EXPECT_NE(sl, det);
  EXPECT_TRUE(changed("sl", [](learner::TrainOptions& p) { p.label_dim = 3; }));
  EXPECT_FALSE(changed("deterministic", [](learner::TrainOptions& p) { p.label_dim = 3; }));
  EXPECT_TRUE(changed("ardm", [](learner::TrainOptions& p) { p.ardm_train_steps = 3; }));
  EXPECT_FALSE(changed("sl", [](learner::TrainOptions& p) { p.ardm_train_steps = 3; }));
  EXPECT_FALSE(changed("sl", [](learner::TrainOptions& p) { p.width = 3; }));  // an MLP setting
  EXPECT_TRUE(changed("sl", [](learner::TrainOptions& p) { p.lr = 0.5; }));
  EXPECT_FALSE(changed("sl", [](learner::TrainOptions& p) { p.log_every = 3; }));
  EXPECT_TRUE(changed("sl", [](learner::TrainOptions& p) { p.channels_last = true; }));
  EXPECT_EQ(sl.find("channels_last"), std::string::npos);
  EXPECT_EQ(sl.find("target"), std::string::npos);
  EXPECT_NE(sl.find("unet_widths=[32,64,128]"), std::string::npos) << sl;
  EXPECT_THROW(learner::training_identity(o, "gan"), Error);
}

}  // namespace
