// Rollouts of a trained model and the probes the evaluation needs.
#include <algorithm>
#include <numeric>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/learner.hpp"
#include "learner/model.hpp"

namespace slift::learner {

namespace {

// n x d standard normals, row r from its own stream (so results do not depend on batching).
torch::Tensor draw_labels(std::vector<Rng>& rngs, int64_t d) {
  const auto n = static_cast<int64_t>(rngs.size());
  std::vector<float> z(n * d);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < d; ++j) z[r * d + j] = static_cast<float>(rngs[r].normal());
  return to_tensor(z, {n, d});
}

LoadedModel load_for_inference(const std::string& model_path, const torch::Device& device) {
  setup_threads();
  auto m = load_model(model_path);
  m.net->to(device);
  return m;
}

}  // namespace

SampleResult sample_model(const std::string& model_path, const SampleOptions& options, const std::string& init_data,
                          uint64_t seed, const std::string& out_path, int64_t ardm_steps) {
  if (ardm_steps != 0) usage_error(model_path + ": diffusion steps given for a one-step model");
  log::Stopwatch clock;
  const auto device = pick_device("auto");
  torch::NoGradGuard no_grad;
  auto m = load_for_inference(model_path, device);
  const int64_t dim = m.spec.dim, w = m.spec.window, d = m.spec.label_dim;

  DatasetReader init(init_data, "states");
  const auto spec = init.spec("states");
  if (spec.shape.size() != 2 || static_cast<int64_t>(spec.shape[1]) != dim)
    usage_error(init_data + ": states of dimension " + std::to_string(dim) + " expected by " + model_path);
  const auto n_test = static_cast<int64_t>(init.n_traj());
  const auto n_time = static_cast<int64_t>(spec.shape[0]);
  const auto test = init.read("states");
  const int64_t n_traj = options.n_trajectories > 0 ? options.n_trajectories : n_test;

  DatasetHeader header = init.header();
  header.seed = seed;
  header.config_yaml = m.config_yaml;
  header.simulation_parameters["nfe_per_step"] = 1.0;  // one network evaluation per generated state
  header.params_hash = sha256(sha256_file(model_path) + "|" + sha256_file(init_data) + "|" + std::to_string(seed) +
                              "|" + std::to_string(n_traj));
  ArraySpec states;
  states.path = "states";
  states.shape = {static_cast<uint64_t>(n_time), static_cast<uint64_t>(dim)};
  DatasetWriter writer(out_path, header, {states}, static_cast<uint64_t>(n_traj));

  log::Progress progress("sample " + m.spec.model, static_cast<uint64_t>(n_traj), "traj");
  progress.advance(writer.n_done());
  for (auto first = static_cast<int64_t>(writer.n_done()); first < n_traj; first += options.batch_size) {
    const int64_t count = std::min(options.batch_size, n_traj - first);
    // Every trajectory starts from its test trajectory's state 0, repeated to fill the window
    // (as the training inputs at t = 0 do).
    std::vector<float> out(count * n_time * dim), start(count * w * dim);
    std::vector<Rng> rngs;
    for (int64_t r = 0; r < count; ++r) {
      const float* x0 = &test[((first + r) % n_test) * n_time * dim];
      std::copy(x0, x0 + dim, &out[r * n_time * dim]);
      for (int64_t s = 0; s < w; ++s) std::copy(x0, x0 + dim, &start[(r * w + s) * dim]);
      rngs.emplace_back(seed, static_cast<uint64_t>(first + r), "learner.sample");
    }
    auto windows = to_tensor(start, {count, w * dim}).to(device);
    for (int64_t t = 1; t < n_time; ++t) {
      const auto next = step(m, windows, draw_labels(rngs, d).to(device));
      const auto host = next.to(torch::kCPU).contiguous();
      const float* p = host.data_ptr<float>();
      for (int64_t r = 0; r < count; ++r) std::copy(p + r * dim, p + (r + 1) * dim, &out[(r * n_time + t) * dim]);
      windows = w > 1 ? torch::cat({windows.slice(1, dim), next}, 1) : next;
    }
    writer.write(0, static_cast<uint64_t>(first), static_cast<uint64_t>(count), out.data());
    writer.commit(static_cast<uint64_t>(first + count));
    progress.advance(static_cast<uint64_t>(count));
  }
  writer.finish();
  progress.done();

  SampleResult r;
  r.n_trajectories = n_traj;
  r.nfe_per_step = 1.0;
  r.seconds = clock.seconds();
  r.seconds_per_trajectory = r.seconds / static_cast<double>(n_traj);
  return r;
}

std::vector<float> one_step_samples(const std::string& model_path, const std::vector<float>& states, int64_t n_states,
                                    int64_t n_samples, uint64_t seed) {
  const auto device = pick_device("auto");
  torch::NoGradGuard no_grad;
  auto m = load_for_inference(model_path, device);
  const int64_t dim = m.spec.dim, width = m.spec.window * dim;
  if (static_cast<int64_t>(states.size()) != n_states * width)
    usage_error("one_step_samples: expected " + std::to_string(n_states) + " x " + std::to_string(width) + " values");
  std::vector<float> result(n_states * n_samples * dim);
  for (int64_t s = 0; s < n_states; ++s) {
    std::vector<Rng> rngs;
    for (int64_t k = 0; k < n_samples; ++k) rngs.emplace_back(seed, static_cast<uint64_t>(s * n_samples + k), "learner.one_step");
    const auto windows = to_tensor(std::vector<float>(states.begin() + s * width, states.begin() + (s + 1) * width), {1, width})
                             .expand({n_samples, width})
                             .to(device);
    const auto next = step(m, windows, draw_labels(rngs, m.spec.label_dim).to(device)).to(torch::kCPU).contiguous();
    std::copy(next.data_ptr<float>(), next.data_ptr<float>() + n_samples * dim, &result[s * n_samples * dim]);
  }
  return result;
}

double label_gradient_norm(const std::string& model_path, const std::string& train_data, int64_t n_points, uint64_t seed) {
  const auto device = pick_device("auto");
  auto m = load_for_inference(model_path, device);
  if (m.spec.label_dim == 0) return 0.0;
  const auto tr = make_transitions(read_trajectories(train_data), m.spec.window, m.spec.label_dim, m.shuffle_fraction, m.seed);
  if (tr.dim != m.spec.dim) usage_error(train_data + ": states of dimension " + std::to_string(m.spec.dim) + " expected");

  // A random subset of the training transitions (all of them when n_points >= n).
  std::vector<int64_t> idx(tr.n);
  std::iota(idx.begin(), idx.end(), 0);
  const int64_t n = std::min(n_points, tr.n);
  Rng pick(seed, 0, "learner.gradient_points");
  for (int64_t i = 0; i < n; ++i) std::swap(idx[i], idx[i + static_cast<int64_t>(pick.below(static_cast<uint64_t>(tr.n - i)))]);
  idx.resize(n);
  const auto rows = torch::from_blob(idx.data(), {n}, torch::kInt64);
  const int64_t width = m.spec.window * m.spec.dim;
  const auto windows = to_tensor(tr.inputs, {tr.n, width}).index_select(0, rows).to(device);
  const auto labels = to_tensor(tr.labels, {tr.n, m.spec.label_dim}).index_select(0, rows).to(device).requires_grad_(true);

  // Rows are independent, so the gradient of the column sum of output j gives row j of every
  // point's Jacobian d f / d z (f: the network output, the normalised increment).
  const auto out = m.net->forward(network_input(m.spec, m.norm, windows, labels));
  auto sq = torch::zeros({n}, labels.options().requires_grad(false));
  for (int64_t j = 0; j < m.spec.dim; ++j) {
    const auto g = torch::autograd::grad({out.select(1, j).sum()}, {labels}, {}, /*retain_graph=*/true)[0];
    sq += g.pow(2).sum(1);
  }
  return sq.sqrt().mean().item<double>();
}

}  // namespace slift::learner
