// slift export against the learner it mirrors: the TorchScript module's forward against
// learner::step on the same inputs (MLP and UNet in their variants), its labels against
// core::Rng, its rollout against sample_model's file; and its refusals.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <numeric>

#include "core/dataset.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/export.hpp"
#include "learner/learner.hpp"
#include "learner/model.hpp"
#include "learner/models.hpp"
#include "support/test_support.hpp"
#include "../learner/toy_data.hpp"

namespace slift {
namespace {

using learner::ModelSpec;

// A model file for `spec` with random weights and normalisation (no training needed to compare
// two implementations of one network: every weight, GroupNorm's included, away from its initial value).
std::string write_model(const test::TempDir& dir, const ModelSpec& spec, const std::string& name) {
  torch::manual_seed(7);
  learner::LoadedModel m;
  m.spec = spec;
  m.net = learner::Net(spec);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : m.net.module()->parameters()) p.add_(0.2 * torch::randn_like(p));
  }
  const auto values = [&](float lo, float hi) {
    const auto t = lo + (hi - lo) * torch::rand({spec.dim});
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + spec.dim);
  };
  m.norm = {values(-0.5f, 0.5f), values(0.5f, 2.0f), values(0.02f, 0.1f)};
  for (size_t f = 0; f < spec.options.condition_on.size(); ++f) {  // away from 0 and 1, as trained ones are
    m.static_norm.mean.push_back(0.3f + 0.1f * static_cast<float>(f));
    m.static_norm.std.push_back(1.7f);
  }
  m.config_yaml = "name: " + name;
  const std::string path = dir / (name + ".pt");
  learner::save_model(path, m);
  return path;
}

ModelSpec mlp(const std::string& model, int64_t label_dim, const std::string& activation, int64_t window) {
  ModelSpec s;
  s.model = model;
  s.dim = 3;
  s.options.window = window;
  s.options.label_dim = label_dim;
  s.options.width = 32;
  s.options.depth = 2;
  s.options.activation = activation;
  return s;
}

// On an 8 x 8 grid by default; `grid` and `periodic` (a flag per axis) for other grids.
ModelSpec unet(const std::string& model, int64_t label_dim, bool periodic, std::vector<int64_t> grid = {8, 8}) {
  ModelSpec s;
  s.model = model;
  s.options.arch = "unet";
  s.grid = grid;
  s.dim = std::accumulate(grid.begin(), grid.end(), int64_t(1), std::multiplies<>());
  s.periodic.assign(grid.size(), periodic);
  s.options.window = 3;
  s.options.label_dim = label_dim;
  s.options.unet_widths = {8, 16};
  s.options.embed_dim = 16;
  return s;
}

// Every variant the exported forward has a branch for.
std::vector<std::pair<std::string, ModelSpec>> variants() {
  std::vector<std::pair<std::string, ModelSpec>> v{
      {"mlp_sl_silu", mlp("sl", 5, "silu", 1)},
      {"mlp_sl_gelu_window2", mlp("sl", 4, "gelu", 2)},
      {"mlp_sl_tanh", mlp("sl", 2, "tanh", 1)},
      {"mlp_deterministic_relu", mlp("deterministic", 0, "relu", 1)},
      {"unet_sl_periodic_label_channels", unet("sl", 4, true)},
      {"unet_sl_walls_film", unet("sl", 3, false)},
      {"unet_deterministic_walls", unet("deterministic", 0, false)},
      {"unet_deterministic_periodic", unet("deterministic", 0, true)},
  };
  v[4].second.options.label_channels = true;
  v[4].second.options.output = "extrapolation";
  v[5].second.options.unet_widths = {8, 16, 24};  // three levels; skip convolutions between widths
  v[5].second.options.unet_blocks = 2;
  auto shift = unet("sl", 2, true);
  shift.options.conditioning = "shift";
  shift.options.label_channels = true;
  v.emplace_back("unet_sl_shift_walls", shift);
  v.back().second.periodic = {false, false};
  // Other grids: 1-D and 3-D, each periodic with label channels, and a 2-D grid periodic along
  // its second axis only.
  for (auto [name, grid] : {std::pair<std::string, std::vector<int64_t>>{"1d", {16}}, {"3d", {4, 8, 4}}}) {
    auto channels = unet("sl", 3, true, grid);
    channels.options.label_channels = true;
    v.emplace_back("unet_sl_periodic_label_channels_" + name, channels);
    v.emplace_back("unet_deterministic_walls_" + name, unet("deterministic", 0, false, grid));
  }
  auto mixed = unet("sl", 3, false, {8, 4});
  mixed.periodic = {false, true};
  v.emplace_back("unet_sl_mixed_boundaries", mixed);
  return v;
}

TEST(Export, ForwardIsLearnerStep) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  torch::NoGradGuard no_grad;
  for (const auto& [name, spec] : variants()) {
    const std::string path = write_model(dir, spec, name);
    learner::export_model(path, dir / (name + ".ts"));
    auto m = learner::load_model(path);
    auto ts = torch::jit::load(dir / (name + ".ts"));
    const int64_t b = 5;
    const auto windows = torch::randn({b, spec.window() * spec.dim});
    // The labels learner::step draws from these streams, drawn again from copies for the export.
    std::vector<Rng> rngs;
    for (int64_t r = 0; r < b; ++r) rngs.emplace_back(3, static_cast<uint64_t>(r), "test.labels");
    std::vector<Rng> copies = rngs;
    const auto z = learner::draw_normals(copies, spec.label_dim());
    const auto expected = learner::step(m, *learner::model_for_sampling(m.spec, m.seed, 0, path), windows, rngs);
    std::vector<int64_t> shape{b, spec.window()};
    if (spec.unet())
      shape.insert(shape.end(), spec.grid.begin(), spec.grid.end());
    else
      shape.push_back(spec.dim);
    const auto got = ts.forward({windows.reshape(shape), z}).toTensor().reshape({b, spec.dim});
    const double diff = (got - expected).abs().max().item<double>();
    EXPECT_LE(diff, 1e-5 * expected.abs().max().item<double>()) << name;
    std::cout << name << ": max |exported - learner::step| = " << diff << "\n";
  }
}

TEST(Export, LabelsAreTheSampleStream) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  auto ts = torch::jit::load([&] {
    const std::string path = write_model(dir, mlp("sl", 6, "silu", 1), "sl");
    learner::export_model(path, dir / "sl.ts");
    return dir / "sl.ts";
  }());
  // Seeds with high bits and streams past 2^32 exercise every word of key and counter.
  for (const uint64_t seed : {uint64_t{3}, uint64_t{0x7123456789abcdefULL}})
    for (const int64_t first : {int64_t{0}, int64_t{5'000'000'000}}) {
      const int64_t n = 4, d = 6, draws = 3;
      std::vector<Rng> rngs;
      for (int64_t r = 0; r < n; ++r) rngs.emplace_back(seed, static_cast<uint64_t>(first + r), "learner.sample");
      int64_t equal = 0;
      for (int64_t t = 0; t < draws; ++t) {
        const auto z = ts.run_method("labels", static_cast<int64_t>(seed), first, n, t).toTensor();
        ASSERT_EQ(z.sizes(), (std::vector<int64_t>{n, d}));
        for (int64_t r = 0; r < n; ++r)
          for (int64_t j = 0; j < d; ++j) {
            const float expected = static_cast<float>(rngs[r].normal()), got = z[r][j].item<float>();
            EXPECT_NEAR(got, expected, 2e-7 * std::max(1.0f, std::abs(expected))) << "seed " << seed << " stream " << first + r;
            equal += got == expected;
          }
      }
      EXPECT_GE(equal, n * d * draws - 1) << "float labels equal to the last bit, but for a rare rounding tie";
    }
}

// Trajectories first .. first + n - 1 of sample_model's file, rolled out by the module; with
// `statics` (a static field of the data the model is conditioned on), given its raw values.
void expect_rollout_reproduces(const std::string& model, const std::string& data, const std::string& dir,
                               const std::string& array, const std::string& statics = "") {
  learner::SampleOptions so;
  so.n_trajectories = 6;
  so.batch_size = 4;  // two batches: trajectories 0-3, then 4-5
  so.device = "cpu";
  const uint64_t seed = 11;
  learner::sample_model(model, so, data, seed, dir + "/gen.h5");
  learner::export_model(model, dir + "/model.ts");
  auto ts = torch::jit::load(dir + "/model.ts");
  const auto gen = DatasetReader(dir + "/gen.h5").read(array);
  const auto init = DatasetReader(data).read(array);
  DatasetReader reader(dir + "/gen.h5");
  const auto shape = reader.spec(array).shape;  // n_time x state_shape
  std::vector<int64_t> state(shape.begin() + 1, shape.end()), full{6, static_cast<int64_t>(shape[0])};
  full.insert(full.end(), state.begin(), state.end());
  const auto expected = learner::to_tensor(gen, full);
  const int64_t frame = expected[0][0].numel(), n_init = static_cast<int64_t>(init.size()) / (shape[0] * frame);
  // Trajectory i starts from initial state i mod n_init; rolled out in the sampler's batches (4, then
  // 2 from first = 4) on its threads, so that every kernel sees the blocks it saw there.
  std::vector<torch::Tensor> x0;
  for (int64_t i = 0; i < 6; ++i)
    x0.push_back(learner::to_tensor(std::vector<float>(init.begin() + (i % n_init) * shape[0] * frame,
                                                       init.begin() + ((i % n_init) * shape[0] + 1) * frame),
                                    state));
  const auto starts = torch::stack(x0);
  const int64_t steps = static_cast<int64_t>(shape[0]) - 1;
  torch::Tensor a, b;
  if (statics.empty()) {
    a = ts.run_method("rollout", starts.slice(0, 0, 4), steps, static_cast<int64_t>(seed)).toTensor();
    b = ts.run_method("rollout", starts.slice(0, 4), steps, static_cast<int64_t>(seed), int64_t{4}).toTensor();
  } else {  // trajectory i's field: that of initial state i mod n_init, b x 1 x state_shape
    std::vector<int64_t> field_shape{n_init, 1};
    field_shape.insert(field_shape.end(), state.begin(), state.end());
    const auto fields = learner::to_tensor(DatasetReader(data).read(statics), field_shape);
    const auto rows = fields.index_select(0, torch::arange(6) % n_init);
    a = ts.run_method("rollout", starts.slice(0, 0, 4), steps, static_cast<int64_t>(seed), int64_t{0}, rows.slice(0, 0, 4)).toTensor();
    b = ts.run_method("rollout", starts.slice(0, 4), steps, static_cast<int64_t>(seed), int64_t{4}, rows.slice(0, 4)).toTensor();
  }
  const auto got = torch::cat({a, b});
  EXPECT_TRUE(torch::equal(got, expected)) << model << ": max |rollout - sample_model| = "
                                           << (got - expected).abs().max().item<double>();
}

TEST(Export, RolloutReproducesSampleModel) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  std::vector<float> states;
  Rng rng(8, 0, "test.states");
  for (int64_t k = 0; k < 4 * 9 * 3; ++k) states.push_back(static_cast<float>(rng.normal()));
  test::write_states(dir / "states.h5", 4, 9, 3, states);
  expect_rollout_reproduces(write_model(dir, mlp("sl", 5, "silu", 2), "mlp"), dir / "states.h5", dir.path(), "states");

  test::write_fields(dir / "fields.h5", 4, 5, 8, 8, test::drifting_bumps(4, 5, 2), true);
  auto spec = unet("sl", 4, true);
  spec.options.label_channels = true;
  spec.options.output = "extrapolation";
  expect_rollout_reproduces(write_model(dir, spec, "unet"), dir / "fields.h5", dir.path(), "t0_fields/u");
}

// A bump drifting along the first axis at a random speed per trajectory, plus noise: n_traj x
// n_time x grid, row-major.
std::vector<float> drifting_bumps_nd(int64_t n_traj, int64_t n_time, const std::vector<int64_t>& grid) {
  std::vector<float> u;
  Rng rng(4, 0, "test.bumps");
  int64_t cells = 1;
  for (const int64_t n : grid) cells *= n;
  for (int64_t i = 0; i < n_traj; ++i) {
    const double speed = 0.5 + rng.uniform();
    for (int64_t t = 0; t < n_time; ++t)
      for (int64_t k = 0; k < cells; ++k) {
        double r2 = 0;
        for (size_t a = grid.size(), rest = static_cast<size_t>(k); a-- > 0; rest /= static_cast<size_t>(grid[a])) {
          const double x = static_cast<double>(rest % static_cast<size_t>(grid[a]));
          const double centre = a == 0 ? 2.0 + speed * static_cast<double>(t) : 0.5 * static_cast<double>(grid[a]);
          r2 += (x - centre) * (x - centre);
        }
        u.push_back(static_cast<float>(std::exp(-0.5 * r2) + 0.01 * rng.normal()));
      }
  }
  return u;
}

TEST(Export, OneAndThreeDimensionalFieldsTrainSampleAndExport) {
  // End to end on grids other than 2-D: the model's grid and per-axis boundaries come from the
  // data, SL trains a few steps, samples, and the export's rollout is slift sample's file.
  log::set_level(log::Level::quiet);
  const std::vector<std::pair<std::vector<int64_t>, std::vector<bool>>> grids{{{16}, {true}},
                                                                             {{8, 4, 4}, {true, false, true}}};
  for (const auto& [grid, periodic] : grids) {
    test::TempDir dir;
    test::write_fields(dir / "fields.h5", 4, 5, grid, drifting_bumps_nd(4, 5, grid), periodic);
    auto o = test::tiny_unet_options(6, 4, 3);
    o.label_channels = true;
    learner::train_model("sl", o, dir / "fields.h5", 2, dir / "sl.pt", "", "model: sl");
    const auto m = learner::load_model(dir / "sl.pt");
    EXPECT_EQ(m.spec.grid, grid);
    EXPECT_EQ(m.spec.periodic, periodic);
    expect_rollout_reproduces(dir / "sl.pt", dir / "fields.h5", dir.path(), "t0_fields/u");
  }
}

// A model conditioned on a static field (data.condition_on) takes the raw field as `statics`.
TEST(Export, RolloutWithStaticFieldsReproducesSampleModel) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  std::vector<float> c;
  Rng rng(9, 0, "test.medium");
  for (int64_t k = 0; k < 4 * 8 * 8; ++k) c.push_back(static_cast<float>(0.5 + rng.uniform()));
  test::write_fields(dir / "fields.h5", 4, 5, 8, 8, test::drifting_bumps(4, 5, 2), true, c);
  auto spec = unet("sl", 4, true);
  spec.options.condition_on = {"c"};
  const std::string model = write_model(dir, spec, "unet_c");
  expect_rollout_reproduces(model, dir / "fields.h5", dir.path(), "t0_fields/u", "t0_fields/c");
  auto ts = torch::jit::load(dir / "model.ts");
  EXPECT_EQ(ts.attr("condition_on").toListRef().size(), 1u);
  EXPECT_ANY_THROW(ts.forward({torch::zeros({2, 3, 8, 8}), torch::zeros({2, 4})})) << "statics missing";
}

TEST(Export, Refusals) {
  log::set_level(log::Level::quiet);
  test::TempDir dir;
  auto ardm = unet("ardm", 0, true);
  const std::string path = write_model(dir, ardm, "ardm");
  EXPECT_NE(test::usage_message([&] { learner::export_model(path, dir / "ardm.ts"); }).find("ARDM"), std::string::npos);
  test::write_file(dir / "not_a_model.pt", "text");
  EXPECT_NE(test::usage_message([&] { learner::export_model(dir / "not_a_model.pt", dir / "x.ts"); })
                .find("not a readable model file"),
            std::string::npos);
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"ardm.pt", "not_a_model.pt"})) << "nothing written";
}

}  // namespace
}  // namespace slift
