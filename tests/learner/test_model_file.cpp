// The model file as the settings table writes and reads it: a round trip keeps every setting the
// model reads, and a file written before later settings existed (no `target`, `output`,
// `label_channels`; the conditioning as a bool `film`) loads with their defaults.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "learner/model.hpp"
#include "field_model.hpp"
#include "support/test_support.hpp"

namespace slift::learner {
namespace {

TEST(ModelFile, RoundTripKeepsTheSettingsTheModelReads) {
  test::TempDir dir;
  auto m = field_model("sl");
  m.spec.options.conditioning = "shift";
  m.spec.options.output = "extrapolation";
  m.spec.options.label_channels = true;
  m.spec.options.shuffle_fraction = 0.25;
  m.spec.options.lr = 0.5;  // training only: not stored
  m.net = Net(m.spec);
  save_model(dir / "m.pt", m);
  const auto back = load_model(dir / "m.pt");
  for (const auto& s : model_settings()) {
    const bool stored = s.effect == ModelSetting::Effect::network && s.read_by(m.spec.kind()) && s.on("unet");
    if (stored)
      EXPECT_EQ(to_text(s.get(back.spec.options)), to_text(s.get(m.spec.options))) << s.key;
    else
      EXPECT_TRUE(s.at_default(back.spec.options)) << s.key;
  }
  EXPECT_EQ(back.spec.label_dim(), 3);
  EXPECT_EQ(back.seed, 9u);
  EXPECT_EQ(back.losses, m.losses);
  EXPECT_EQ(back.norm.out_scale, m.norm.out_scale);
}

// A model file's settings are checked as a config's are, with the same text.
TEST(ModelFile, ASettingOutOfRangeIsRefusedAsInAConfig) {
  test::TempDir dir;
  auto m = field_model("sl");
  m.spec.options.shuffle_fraction = 2;  // stored: it shapes the training transitions
  m.net = Net(m.spec);
  save_model(dir / "m.pt", m);
  const std::string loaded = test::usage_message([&] { load_model(dir / "m.pt"); });
  EXPECT_EQ(loaded, dir / "m.pt" + ": train.shuffle_fraction: must be in [0, 1], got 2");
  auto config = config::Config::from_string("train: {shuffle_fraction: 2}");
  auto train = config.root().section("train");
  const std::string parsed = test::usage_message([&] { parse_train(train); });
  EXPECT_NE(parsed.find(": train.shuffle_fraction: must be in [0, 1], got 2"), std::string::npos) << parsed;
}

// The network's input from the one function the cost model calls too (network_input): the built
// network's first layer takes as many, for every model on either network.
TEST(ModelFile, NetworkInputIsWhatTheNetworkTakes) {
  for (const std::string model : {"sl", "deterministic", "ardm"})
    for (const bool label_channels : {false, true}) {
      auto m = field_model(model);
      m.spec.options.label_channels = label_channels;
      const Net unet(m.spec);
      EXPECT_EQ(unet.unet->stem->weight.size(1), network_input(model, m.spec.options).channels())
          << model << " label_channels " << label_channels;
      if (model_kind(model).diffusion) continue;  // a UNet only
      ModelSpec spec;
      spec.model = model, spec.dim = 5;
      spec.options.window = 2, spec.options.label_dim = 3, spec.options.width = 8;
      const Net mlp(spec);
      EXPECT_EQ(mlp.mlp->linears[0]->weight.size(1), network_input(model, spec.options).values(spec.dim)) << model;
    }
}

TEST(ModelFile, AFileWithoutLaterSettingsLoadsWithTheirDefaults) {
  test::TempDir dir;
  auto m = field_model("sl");
  m.spec.options.conditioning = "shift";
  m.net = Net(m.spec);
  // The entries of a UNet file written before the direct map, output extrapolation and label channels.
  torch::serialize::OutputArchive a, weights;
  a.write("format", c10::IValue(std::string("slift-unet-1")));
  a.write("model", c10::IValue(std::string("sl")));
  a.write("dim", c10::IValue(int64_t{64}));
  a.write("window", c10::IValue(int64_t{2}));
  a.write("label_dim", c10::IValue(int64_t{3}));
  a.write("nx", c10::IValue(int64_t{8}));
  a.write("ny", c10::IValue(int64_t{8}));
  a.write("unet_widths", c10::IValue(std::vector<int64_t>{8, 16}));
  a.write("unet_blocks", c10::IValue(int64_t{1}));
  a.write("embed_dim", c10::IValue(int64_t{8}));
  a.write("film", c10::IValue(false));
  a.write("periodic", c10::IValue(false));
  a.write("ardm_prediction", c10::IValue(std::string("v")));
  a.write("ardm_train_steps", c10::IValue(int64_t{1000}));
  a.write("seed", c10::IValue(int64_t{9}));
  a.write("shuffle_fraction", c10::IValue(0.0));
  a.write("config_yaml", c10::IValue(std::string("name: x\n")));
  for (const char* key : {"in_mean", "in_std", "out_scale"}) a.write(key, torch::ones({64}));
  a.write("losses", torch::ones({2}));
  m.net.module()->save(weights);
  a.write("net", weights);
  save_archive_atomic(a, dir / "old.pt");

  const auto old = load_model(dir / "old.pt");
  EXPECT_EQ(old.spec.options.conditioning, "shift");
  EXPECT_EQ(old.spec.options.target, "next");
  EXPECT_EQ(old.spec.options.output, "increment");
  EXPECT_FALSE(old.spec.options.label_channels);
  EXPECT_EQ(old.spec.label_dim(), 3);
  EXPECT_EQ(old.spec.window(), 2);
  // The same network: the weights loaded into the layout the settings rebuild.
  const auto a_params = m.net.module()->parameters(), b_params = old.net.module()->parameters();
  ASSERT_EQ(a_params.size(), b_params.size());
  for (size_t i = 0; i < a_params.size(); ++i) EXPECT_TRUE(torch::equal(a_params[i], b_params[i])) << i;
}

}  // namespace
}  // namespace slift::learner
