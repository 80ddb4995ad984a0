// Rollouts of a trained model and the probes the evaluation needs.
#include <algorithm>
#include <numeric>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/learner.hpp"
#include "learner/models.hpp"
#include "learner/static_channels.hpp"

namespace slift::learner {

namespace {

LoadedModel load_for_inference(const std::string& model_path, const torch::Device& device) {
  auto m = load_model(model_path);
  m.net.module()->to(device);
  return m;
}

// The first window of each of `count` rollouts, the first from test trajectory `first` (mod
// the test set): its state 0, repeated to fill the window (as the training inputs at t = 0 do).
torch::Tensor start_windows(const Trajectories& test, int64_t window, int64_t first, int64_t count,
                            const torch::Device& device) {
  const int64_t dim = test.dim;
  std::vector<float> start(count * window * dim);
  for (int64_t r = 0; r < count; ++r) {
    const float* x0 = &test.states[((first + r) % test.n_traj) * test.n_time * dim];
    for (int64_t s = 0; s < window; ++s) std::copy(x0, x0 + dim, &start[(r * window + s) * dim]);
  }
  return to_tensor(start, {count, window * dim}).to(device);
}

// The static channels of those rollouts (their test trajectories' rows of `statics`; undefined: none).
torch::Tensor start_statics(const torch::Tensor& statics, int64_t first, int64_t count) {
  if (!statics.defined()) return {};
  const auto rows = torch::arange(first, first + count, torch::kInt64).remainder(statics.size(0)).to(statics.device());
  return statics.index_select(0, rows);
}

// Trajectories first .. first + count - 1 of the sample, count x n_out x dim: every one draws its
// labels (or the ARDM's noise) from its own stream, so the batch size changes nothing. The frames
// stay on the device until the batch is done; nothing in the loop waits for the device.
std::vector<float> roll_out(const Stepper& stepper, const ModelSpec& spec, const Trajectories& test,
                            const torch::Tensor& statics, int64_t n_out, uint64_t seed, const Execution& exec,
                            int64_t first, int64_t count) {
  const int64_t dim = spec.dim, w = spec.window();
  std::vector<Rng> rngs;
  for (int64_t r = 0; r < count; ++r) rngs.emplace_back(seed, static_cast<uint64_t>(first + r), "learner.sample");
  auto windows = start_windows(test, w, first, count, exec.device);
  const auto conditions = start_statics(statics, first, count);
  std::vector<torch::Tensor> frames{windows.slice(1, (w - 1) * dim)};
  Autocast autocast(exec);
  for (int64_t t = 1; t < n_out; ++t) {
    const auto next = stepper(windows, stepper.draw(rngs), conditions);
    frames.push_back(next);
    windows = w > 1 ? torch::cat({windows.slice(1, dim), next}, 1) : next;
  }
  const auto host = torch::stack(frames, 1).to(torch::kCPU).contiguous();
  return std::vector<float>(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
}

// The most rollouts of n_out frames that fit the GPU's free memory at once, at most `cap`: the
// memory one step takes per rollout (its draw and its forwards), measured on a few, plus what each
// rollout holds throughout (its frames twice, when they are stacked at the end; its window; its
// noise), with a tenth kept free. The CPU: `cap`.
int64_t fitting_batch(const Stepper& stepper, const ModelSpec& spec, const Trajectories& test, const torch::Tensor& statics,
                      int64_t n_out, const Execution& exec, int64_t cap) {
  if (!exec.device.is_cuda()) return cap;
  const int64_t probe = std::min<int64_t>(cap, 4);
  const auto windows = start_windows(test, spec.window(), 0, probe, exec.device);
  std::vector<Rng> rngs(static_cast<size_t>(probe), Rng(0, 0, "learner.sample"));  // any streams: only the memory counts
  synchronize(exec.device);
  const int64_t before = allocated_memory_bytes(exec.device);
  reset_peak_memory(exec.device);
  {
    Autocast autocast(exec);
    stepper(windows, stepper.draw(rngs), start_statics(statics, 0, probe));
  }
  synchronize(exec.device);
  const int64_t per_step = (peak_memory_bytes(exec.device) - before + probe - 1) / probe;
  const int64_t held = static_cast<int64_t>(sizeof(float)) *
                       (2 * n_out * spec.dim + 2 * spec.window() * spec.dim + stepper.model().normals_per_step());
  const int64_t fits = free_memory_bytes(exec.device) * 9 / 10 / std::max<int64_t>(1, per_step + held);
  return std::clamp<int64_t>(fits, 1, cap);
}

}  // namespace

SampleResult sample_model(const std::string& model_path, const SampleOptions& options, const std::string& init_data,
                          uint64_t seed, const std::string& out_path, int64_t ardm_steps) {
  log::Stopwatch clock;
  const Execution exec = setup_execution(options.device, options.precision, options.threads);
  const torch::Device device = exec.device;
  c10::InferenceMode inference;
  auto m = load_for_inference(model_path, device);
  const auto model = model_for_sampling(m.spec, m.seed, ardm_steps, model_path);
  const Stepper stepper(m, *model, device);
  const int64_t dim = m.spec.dim;
  const int64_t nfe = model->evaluations();  // network evaluations per generated frame

  DatasetReader init(init_data);  // the test set, read once
  const auto test = read_trajectories(init, init_data, m.spec.options.state_field);
  if (test.dim != dim || (test.kind == "fields") != m.spec.unet())
    usage_error(init_data + ": " + test.kind + " of dimension " + std::to_string(test.dim) + ", but " + model_path +
                " expects " + (m.spec.unet() ? "fields" : "states") + " of dimension " + std::to_string(dim));
  // The static fields of the trajectories being continued, normalised as in training.
  const auto statics = static_channels(m, init, init_data, test, device);
  // Rolled out: every frame of the test set; the direct map (target final): frame 0 and the last
  // frame only, generated in one evaluation.
  const int64_t n_out = m.spec.direct() ? 2 : test.n_time;
  const int64_t n_traj = options.n_trajectories > 0 ? options.n_trajectories : test.n_traj;

  // The same layout as the test set's learned array (fields: the static medium is not written).
  DatasetHeader header = init.header();
  header.seed = seed;
  header.config_yaml = m.config_yaml;
  header.simulation_parameters["nfe_per_step"] = static_cast<double>(nfe);
  // The one hash of the model file in a sampling call (the file's 80 MB at paper scale: 0.65 s).
  header.params_hash = sha256(sha256_file(model_path) + "|" + sha256_file(init_data) + "|" + std::to_string(seed) +
                              "|" + std::to_string(n_traj) + "|" + std::to_string(ardm_steps));
  ArraySpec spec = init.spec(test.array);
  if (m.spec.direct()) {
    header.time = {header.time.front(), header.time.back()};
    spec.shape[0] = 2;
  }
  DatasetWriter writer(out_path, header, {spec}, static_cast<uint64_t>(n_traj));

  log::Progress progress("sample " + m.spec.model, static_cast<uint64_t>(n_traj), "traj");
  progress.advance(writer.n_done());
  const int64_t max_batch = fitting_batch(stepper, m.spec, test, statics, n_out, exec, options.batch_size);
  int64_t batch = max_batch;
  double rollout_seconds = 0;
  for (auto first = static_cast<int64_t>(writer.n_done()); first < n_traj;) {
    const int64_t count = std::min(batch, n_traj - first);
    std::vector<float> out;
    log::Stopwatch rollout;
    try {
      out = roll_out(stepper, m.spec, test, statics, n_out, seed, exec, first, count);
    } catch (const c10::OutOfMemoryError&) {
      if (count == 1) throw;
      batch = (count + 1) / 2;  // a GPU too small for this batch after all: the same trajectories in halves
      log::warn("sample " + m.spec.model + ": out of device memory with " + std::to_string(count) +
                " rollouts at once; continuing with " + std::to_string(batch));
      continue;
    }
    rollout_seconds += rollout.seconds();
    writer.write(0, static_cast<uint64_t>(first), static_cast<uint64_t>(count), out.data());
    writer.commit(static_cast<uint64_t>(first + count));
    progress.advance(static_cast<uint64_t>(count));
    first += count;
  }
  writer.finish();
  progress.done();

  SampleResult r;
  r.n_trajectories = n_traj;
  r.nfe_per_step = static_cast<double>(nfe);
  synchronize(device);
  r.seconds = clock.seconds();
  r.seconds_per_trajectory = r.seconds / static_cast<double>(n_traj);
  r.rollout_seconds = rollout_seconds;
  r.frames = n_out - 1;
  r.device = device.str();
  r.precision = options.precision;
  r.threads = options.threads;
  r.batch_size = std::min(batch, n_traj);
  r.max_batch_size = max_batch;
  r.peak_memory_bytes = peak_memory_bytes(device);
  return r;
}

std::vector<float> one_step_samples(const std::string& model_path, const std::vector<float>& states, int64_t n_states,
                                    int64_t n_samples, uint64_t seed) {
  const auto device = setup_execution("auto", "float32").device;
  c10::InferenceMode inference;
  auto m = load_for_inference(model_path, device);
  if (m.spec.unet()) usage_error(model_path + ": one-step samples are for states models (MLP) only");
  const auto model = model_for_sampling(m.spec, m.seed, 0, model_path);
  const int64_t dim = m.spec.dim, width = m.spec.window() * dim;
  if (static_cast<int64_t>(states.size()) != n_states * width)
    usage_error("one_step_samples: expected " + std::to_string(n_states) + " x " + std::to_string(width) + " values");
  std::vector<float> result(n_states * n_samples * dim);
  for (int64_t s = 0; s < n_states; ++s) {
    std::vector<Rng> rngs;
    for (int64_t k = 0; k < n_samples; ++k) rngs.emplace_back(seed, static_cast<uint64_t>(s * n_samples + k), "learner.one_step");
    const auto windows = to_tensor(std::vector<float>(states.begin() + s * width, states.begin() + (s + 1) * width), {1, width})
                             .expand({n_samples, width})
                             .to(device);
    const auto next = step(m, *model, windows, rngs).to(torch::kCPU).contiguous();
    std::copy(next.data_ptr<float>(), next.data_ptr<float>() + n_samples * dim, &result[s * n_samples * dim]);
  }
  return result;
}

double label_gradient_norm(const std::string& model_path, const std::string& train_data, int64_t n_points, uint64_t seed,
                           const std::string& device_name) {
  const auto device = setup_execution(device_name, "float32").device;
  auto m = load_for_inference(model_path, device);
  if (m.spec.label_dim() == 0) return 0.0;
  const auto data = read_trajectories(train_data, m.spec.options.state_field);
  if (data.dim != m.spec.dim) usage_error(train_data + ": states of dimension " + std::to_string(m.spec.dim) + " expected");
  // The training transitions as rows (no windows materialised), and their labels.
  const auto tr = transition_rows(data, m.spec.window(), m.spec.options.shuffle_fraction, m.seed, m.spec.direct());
  const auto all_labels = transition_labels(tr.n, m.spec.label_dim(), m.seed);

  // A random subset of the training transitions (all of them when n_points >= n).
  std::vector<int64_t> idx(tr.n);
  std::iota(idx.begin(), idx.end(), 0);
  // Fields: at most kMaxFieldPoints (one UNet batch of them through backward, memory and time).
  constexpr int64_t kMaxFieldPoints = 64;
  const int64_t n = std::min({n_points, tr.n, m.spec.unet() ? kMaxFieldPoints : tr.n});
  Rng pick(seed, 0, "learner.gradient_points");
  for (int64_t i = 0; i < n; ++i) std::swap(idx[i], idx[i + static_cast<int64_t>(pick.below(static_cast<uint64_t>(tr.n - i)))]);
  idx.resize(n);
  const int64_t dim = m.spec.dim, w = m.spec.window(), d = m.spec.label_dim();
  std::vector<float> picked_windows(n * w * dim), picked_labels(n * d);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t s = 0; s < w; ++s) {
      const float* frame = &data.states[tr.inputs[idx[r] * w + s] * dim];
      std::copy(frame, frame + dim, &picked_windows[(r * w + s) * dim]);
    }
    std::copy(&all_labels[idx[r] * d], &all_labels[idx[r] * d] + d, &picked_labels[r * d]);
  }
  const auto windows = to_tensor(picked_windows, {n, w * dim}).to(device);
  const auto labels = to_tensor(picked_labels, {n, d}).to(device).requires_grad_(true);
  // The static channels of the picked transitions' trajectories (row i n_time + t -> i).
  torch::Tensor statics = static_channels(m, DatasetReader(train_data), train_data, data, device);
  if (statics.defined()) {
    std::vector<int64_t> trajectories(n);
    for (int64_t r = 0; r < n; ++r) trajectories[r] = tr.inputs[idx[r] * w] / data.n_time;
    statics = statics.index_select(0, torch::tensor(trajectories, torch::kInt64).to(device));
  }

  // Rows are independent (no batch statistics), so the gradient of a sum over rows gives every
  // point's own vector-Jacobian product.
  const auto out = m.net.forward(with_static_channels(normalise_windows(m.spec, m.norm, windows), statics), labels);
  auto sq = torch::zeros({n}, labels.options().requires_grad(false));
  if (!m.spec.unet()) {
    // Exact: row j of every point's Jacobian d f / d z from output j (f: the normalised increment).
    for (int64_t j = 0; j < m.spec.dim; ++j) {
      const auto g = torch::autograd::grad({out.select(1, j).sum()}, {labels}, {}, /*retain_graph=*/true)[0];
      sq += g.pow(2).sum(1);
    }
  } else {
    // Fields have one output per grid cell: Hutchinson's estimate ||J||_F^2 = E ||v^T J||^2 over
    // v ~ N(0, I), with kProbes probes per point.
    constexpr int64_t kProbes = 8;
    std::vector<Rng> probe_rngs;
    for (int64_t r = 0; r < n; ++r) probe_rngs.emplace_back(seed, static_cast<uint64_t>(r), "learner.gradient_probes");
    for (int64_t k = 0; k < kProbes; ++k) {
      const auto v = draw_normals(probe_rngs, m.spec.dim).to(device);
      const auto g = torch::autograd::grad({(out * v).sum()}, {labels}, {}, /*retain_graph=*/true)[0];
      sq += g.pow(2).sum(1) / static_cast<double>(kProbes);
    }
  }
  return sq.sqrt().mean().item<double>();
}

}  // namespace slift::learner
