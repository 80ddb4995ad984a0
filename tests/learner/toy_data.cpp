#include "toy_data.hpp"

#include <cmath>

#include "core/dataset.hpp"
#include "core/rng.hpp"

namespace slift::test {

void write_states(const std::string& path, int64_t n_traj, int64_t n_time, int64_t dim, const std::vector<float>& states) {
  DatasetHeader h;
  h.kind = "states";
  h.dataset_name = "toy";
  for (int64_t t = 0; t < n_time; ++t) h.time.push_back(0.1 * static_cast<double>(t));
  for (int64_t c = 0; c < dim; ++c) h.state_names.push_back("s" + std::to_string(c));
  h.params_hash = "toy";
  ArraySpec spec;
  spec.path = "states";
  spec.shape = {static_cast<uint64_t>(n_time), static_cast<uint64_t>(dim)};
  DatasetWriter w(path, h, {spec}, static_cast<uint64_t>(n_traj));
  w.write(0, 0, static_cast<uint64_t>(n_traj), states.data());
  w.commit(static_cast<uint64_t>(n_traj));
  w.finish();
}

void write_fields(const std::string& path, int64_t n_traj, int64_t n_time, int64_t nx, int64_t ny,
                  const std::vector<float>& u, bool periodic) {
  DatasetHeader h;
  h.kind = "fields";
  h.dataset_name = "toy_fields";
  for (int64_t t = 0; t < n_time; ++t) h.time.push_back(0.25 * static_cast<double>(t));
  h.axes = {{"x", {}}, {"y", {}}};
  for (int64_t i = 0; i < nx; ++i) h.axes[0].coordinates.push_back((static_cast<double>(i) + 0.5) / static_cast<double>(nx));
  for (int64_t j = 0; j < ny; ++j) h.axes[1].coordinates.push_back((static_cast<double>(j) + 0.5) / static_cast<double>(ny));
  const std::string type = periodic ? "PERIODIC" : "WALL";
  h.boundary_conditions = {{"bc_x", type, {"x"}}, {"bc_y", type, {"y"}}};
  h.params_hash = "toy_fields";
  const auto n = static_cast<uint64_t>(nx), m = static_cast<uint64_t>(ny);
  ArraySpec field{"t0_fields/u", {static_cast<uint64_t>(n_time), n, m}, true, {true, true}};
  ArraySpec medium{"t0_fields/c", {n, m}, false, {true, true}};
  DatasetWriter w(path, h, {field, medium}, static_cast<uint64_t>(n_traj));
  w.write(0, 0, static_cast<uint64_t>(n_traj), u.data());
  const std::vector<float> c(static_cast<size_t>(n_traj * nx * ny), 1.0f);
  w.write(1, 0, static_cast<uint64_t>(n_traj), c.data());
  w.commit(static_cast<uint64_t>(n_traj));
  w.finish();
}

std::vector<float> drifting_bumps(int64_t n_traj, int64_t n_time, uint64_t seed, int64_t n) {
  std::vector<float> u;
  Rng rng(seed, 0, "test.bumps");
  for (int64_t i = 0; i < n_traj; ++i) {
    const double speed = 0.5 + rng.uniform();
    for (int64_t t = 0; t < n_time; ++t)
      for (int64_t x = 0; x < n; ++x)
        for (int64_t y = 0; y < n; ++y) {
          const double cx = 2.0 + speed * static_cast<double>(t), dx = static_cast<double>(x) - cx;
          const double dy = static_cast<double>(y) - 0.5 * static_cast<double>(n);
          u.push_back(static_cast<float>(std::exp(-0.5 * (dx * dx + dy * dy)) + 0.01 * rng.normal()));
        }
  }
  return u;
}

learner::TrainOptions tiny_unet_options(int64_t iterations, int64_t batch_size, int64_t label_dim) {
  auto o = tiny_options(iterations, batch_size, label_dim);
  o.arch = "unet";
  o.unet_widths = {8, 16};
  o.embed_dim = 16;
  o.window = 2;
  o.ardm_train_steps = 100;
  return o;
}

void write_random_walks(const std::string& path) {
  std::vector<float> states;
  Rng rng(2, 0, "test.walks");
  for (int i = 0; i < 8; ++i) {
    float x = 0, y = 0;
    for (int t = 0; t < 10; ++t) {
      states.insert(states.end(), {x, y});
      x += 0.1f * static_cast<float>(rng.normal());
      y += 0.1f * static_cast<float>(rng.normal());
    }
  }
  write_states(path, 8, 10, 2, states);
}

learner::TrainOptions tiny_options(int64_t iterations, int64_t batch_size, int64_t label_dim) {
  learner::TrainOptions o;
  o.width = 64;
  o.depth = 2;
  o.label_dim = label_dim;
  o.iterations = iterations;
  o.batch_size = batch_size;
  o.warmup = 10;
  o.lr = 3e-3;
  o.weight_decay = 0;
  o.log_every = iterations;
  o.checkpoint_every = iterations;
  o.device = "cpu";
  // One thread: these networks are tiny, and ctest runs two tests at once on two cores, where
  // two OpenMP threads per test wait for each other at every operation.
  o.threads = 1;
  return o;
}

}  // namespace slift::test
