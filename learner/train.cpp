// Training of Stochastic Lifting, the label-free baseline (MLP on states, UNet on fields) and the
// ARDM baseline (UNet) with exact resume.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/diffusion.hpp"
#include "learner/distributed.hpp"
#include "learner/learner.hpp"
#include "learner/model.hpp"

namespace slift::learner {

namespace {

// Linear warm-up to lr, then cosine decay to 0 at the last step.
double learning_rate(const TrainOptions& o, int64_t step) {
  if (step < o.warmup) return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup);
  const double span = static_cast<double>(std::max<int64_t>(1, o.iterations - o.warmup));
  return 0.5 * o.lr * (1.0 + std::cos(M_PI * static_cast<double>(step - o.warmup) / span));
}

// Everything that changes the result of training: a checkpoint is resumed only when this matches.
std::string run_identity(const std::string& model, const TrainOptions& o, const std::string& train_data, uint64_t seed) {
  std::ostringstream s;
  s << model << '|' << o.arch << '|' << o.width << '|' << o.depth << '|' << o.activation << '|' << o.label_dim << '|'
    << o.window << '|' << o.shuffle_fraction << '|' << o.iterations << '|' << o.batch_size << '|' << o.warmup << '|'
    << o.lr << '|' << o.weight_decay << '|' << o.grad_clip << '|' << seed << '|' << sha256_file(train_data);
  // Options added later enter only when not at their defaults (existing runs keep their identity).
  if (o.target != "next") s << "|target=" << o.target;
  if (o.output != "increment") s << "|output=" << o.output;
  if (o.label_channels) s << "|label_channels";
  if (o.precision != "float32") s << "|precision=" << o.precision;
  if (o.channels_last) s << "|channels_last";
  if (o.arch == "unet") {
    s << "|unet";
    for (auto w : o.unet_widths) s << ',' << w;
    s << '|' << o.unet_blocks << '|' << o.embed_dim << '|' << o.conditioning;
    if (model == "ardm") s << '|' << o.ardm_prediction << '|' << o.ardm_train_steps;
  }
  return sha256(s.str());
}

struct State {
  int64_t step = 0;
  std::vector<float> losses;
};

// `done`: steps completed (the loop's step counter is one behind while the step is being finished).
void save_checkpoint(const std::string& path, const std::string& identity, int64_t done, const State& st,
                     const Rng& batch_rng, torch::nn::Module& net, torch::optim::AdamW& opt) {
  torch::serialize::OutputArchive a, weights, optimizer;
  a.write("identity", c10::IValue(identity));
  a.write("step", c10::IValue(done));
  a.write("batch_rng", c10::IValue(static_cast<int64_t>(batch_rng.position())));
  a.write("losses", to_tensor(st.losses, {static_cast<int64_t>(st.losses.size())}));
  net.save(weights);
  opt.save(optimizer);
  a.write("net", weights);
  a.write("optimizer", optimizer);
  save_archive_atomic(a, path);
}

// Loads the checkpoint if it belongs to this run; returns false (and starts over) otherwise.
bool load_checkpoint(const std::string& path, const std::string& identity, State& st, Rng& batch_rng,
                     torch::nn::Module& net, torch::optim::AdamW& opt, const torch::Device& device) {
  if (path.empty() || !std::filesystem::exists(path)) return false;
  torch::serialize::InputArchive a;
  a.load_from(path, device);
  c10::IValue v;
  a.read("identity", v);
  if (v.toStringRef() != identity) {
    log::warn(path + " belongs to another run (options, data or seed differ): starting over");
    return false;
  }
  a.read("step", v);
  st.step = v.toInt();
  a.read("batch_rng", v);
  batch_rng.seek(static_cast<uint64_t>(v.toInt()));
  torch::Tensor losses;
  a.read("losses", losses);
  losses = losses.to(torch::kCPU);  // the archive was loaded onto the training device
  st.losses.assign(losses.data_ptr<float>(), losses.data_ptr<float>() + losses.numel());
  torch::serialize::InputArchive weights, optimizer;
  a.read("net", weights);
  a.read("optimizer", optimizer);
  net.load(weights);
  opt.load(optimizer);
  return true;
}

// What a failed training leaves to resume from.
std::string kept_checkpoint(int64_t step) {
  return step > 0 ? "the last checkpoint (step " + std::to_string(step) + ") is kept" : "no checkpoint was written yet";
}

bool all_finite(const Net& net) {
  for (const auto& p : net.module()->parameters())
    if (!torch::isfinite(p).all().item<bool>()) return false;
  return true;
}

}  // namespace

TrainResult train_model(const std::string& model, const TrainOptions& options, const std::string& train_data,
                        uint64_t seed, const std::string& model_path, const std::string& checkpoint_path,
                        const std::string& config_yaml) {
  if (model != "sl" && model != "deterministic" && model != "ardm")
    usage_error("unknown model '" + model + "' (sl, deterministic, ardm)");
  if (model == "ardm" && options.arch != "unet") usage_error("ardm needs arch unet");
  if (options.target == "final" && (options.arch != "unet" || model == "ardm"))
    usage_error("target final (the direct map) trains sl or deterministic with arch unet");
  if (options.output == "extrapolation" && (options.arch != "unet" || options.window < 2))
    usage_error("output extrapolation needs arch unet and window >= 2");
  // One rank, or this rank of a data-parallel training (learner/distributed.hpp).
  const DataParallel ranks(options.batch_size);
  ranks.select_gpu();
  const Execution exec = setup_execution(options.device, options.precision, options.threads, options.deterministic);
  const torch::Device device = exec.device;

  auto data = read_trajectories(train_data);
  if ((data.kind == "fields") != (options.arch == "unet"))
    usage_error(train_data + ": " + data.kind + " data need arch " + (data.kind == "fields" ? "unet" : "mlp"));
  LoadedModel m;
  m.spec.model = model;
  m.spec.arch = options.arch;
  m.spec.dim = data.dim;
  m.spec.window = options.window;
  m.spec.label_dim = model == "sl" ? options.label_dim : 0;
  m.spec.width = options.width;
  m.spec.depth = options.depth;
  m.spec.activation = options.activation;
  m.spec.nx = data.nx;
  m.spec.ny = data.ny;
  m.spec.unet_widths = options.unet_widths;
  m.spec.unet_blocks = options.unet_blocks;
  m.spec.embed_dim = options.embed_dim;
  m.spec.film = options.conditioning == "film";
  m.spec.periodic = data.periodic;
  m.spec.ardm_prediction = options.ardm_prediction;
  m.spec.ardm_train_steps = options.ardm_train_steps;
  m.spec.target = options.target;
  m.spec.output = options.output;
  m.spec.label_channels = options.label_channels;
  m.seed = seed;
  m.shuffle_fraction = options.shuffle_fraction;
  m.config_yaml = config_yaml;
  if (options.arch == "unet") {
    const int64_t g = m.spec.unet_spec().grid_multiple();
    if (data.nx % g || data.ny % g)
      usage_error(train_data + ": the grid " + std::to_string(data.nx) + " x " + std::to_string(data.ny) +
                  " must be a multiple of " + std::to_string(g) + " for " + std::to_string(options.unet_widths.size()) +
                  " UNet levels");
    if (model == "ardm" && options.embed_dim % 2) usage_error("ardm needs an even embed_dim (time embedding)");
  }
  const Diffusion diffusion(options.ardm_prediction, options.ardm_train_steps);
  const int64_t dim = data.dim, d = m.spec.label_dim;

  // Training data on the device. States: every transition's normalised window, label and
  // normalised increment, computed once. Fields: the normalised frames and each transition's
  // frame rows, gathered per minibatch (the windows of a paper-scale set would not fit).
  const bool fields = data.kind == "fields";
  torch::Tensor inputs, labels, targets, frames, input_rows, target_rows;
  double increment_factor = 1;  // fields: normalised-frame difference -> normalised increment
  int64_t n = 0;
  if (fields) {
    auto rows = transition_rows(data, options.window, options.shuffle_fraction, seed, m.spec.direct());
    m.norm = fit_pooled_normalisation(data, rows, m.spec.extrapolate());
    n = rows.n;
    frames = ((to_tensor(data.states, {data.n_traj * data.n_time, dim}) - m.norm.in_mean[0]) / m.norm.in_std[0]).to(device);
    input_rows = torch::from_blob(rows.inputs.data(), {n, options.window}, torch::kInt64).clone().to(device);
    target_rows = torch::from_blob(rows.targets.data(), {n}, torch::kInt64).clone().to(device);
    labels = to_tensor(transition_labels(n, d, seed), {n, d}).to(device);
    increment_factor = static_cast<double>(m.norm.in_std[0]) / static_cast<double>(m.norm.out_scale[0]);
  } else {
    const auto tr = make_transitions(data, options.window, d, options.shuffle_fraction, seed);
    m.norm = fit_normalisation(tr);
    n = tr.n;
    const auto windows = to_tensor(tr.inputs, {n, options.window * dim});
    inputs = normalise_windows(m.spec, m.norm, windows).to(device);
    labels = to_tensor(tr.labels, {n, d}).to(device);
    const auto current = windows.slice(1, (options.window - 1) * dim);
    const auto scale = to_tensor(m.norm.out_scale, {dim});
    targets = ((to_tensor(tr.targets, {n, dim}) - current) / scale).to(device);
  }
  std::vector<float>().swap(data.states);  // the raw copy is no longer needed
  // Network inputs and targets of the transitions idx.
  auto minibatch = [&](const torch::Tensor& idx) -> std::pair<torch::Tensor, torch::Tensor> {
    if (!fields) return {inputs.index_select(0, idx), targets.index_select(0, idx)};
    const auto r = input_rows.index_select(0, idx);
    const auto x = frames.index_select(0, r.flatten()).view({idx.size(0), options.window * dim});
    // The base (newest frame, or the extrapolation 2 x_t - x_{t-1}) in normalised frames: its
    // coefficients sum to 1, so it commutes with the affine normalisation.
    const auto base = prediction_base(m.spec, x);
    return {x, (frames.index_select(0, target_rows.index_select(0, idx)) - base) * increment_factor};
  };

  torch::manual_seed(seed);  // initial weights
  m.net = Net(m.spec);
  const auto module = m.net.module();
  module->to(device);
  if (options.channels_last) m.net.use_channels_last();
  torch::optim::AdamW opt(module->parameters(),
                          torch::optim::AdamWOptions(options.lr).weight_decay(options.weight_decay));
  auto& group_options = static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[0].options());

  const std::string identity = run_identity(model, options, train_data, seed);
  Rng batch_rng(seed, 0, "learner.batch");
  State st;
  if (load_checkpoint(checkpoint_path, identity, st, batch_rng, *module, opt, device))
    log::info("train " + model + ": resuming from step " + std::to_string(st.step) + " (" + checkpoint_path + ")");
  ranks.broadcast(module->parameters());
  int64_t last_checkpoint = st.step;

  int64_t parameters = 0;
  for (const auto& p : module->parameters()) parameters += p.numel();
  std::string net = "MLP " + std::to_string(options.depth) + " x " + std::to_string(options.width) + " " + options.activation;
  if (options.arch == "unet") {
    net = "UNet";
    for (auto w : options.unet_widths) net += " " + std::to_string(w);
    net += " on " + std::to_string(data.nx) + " x " + std::to_string(data.ny) + (data.periodic ? " periodic" : " walls");
  }
  log::info("train " + model + ": " + std::to_string(n) + " transitions, " + net + ", label dim " + std::to_string(d) +
            ", " + std::to_string(parameters) + " parameters, " + std::to_string(torch::get_num_threads()) +
            " threads" + (ranks.size() > 1 ? " x " + std::to_string(ranks.size()) + " ranks" : "") + ", " + device.str() + (exec.autocast ? ", bfloat16 autocast" : ""));

  const int64_t end = options.stop_after > 0 ? std::min(options.stop_after, options.iterations) : options.iterations;
  const int64_t first = st.step;
  log::Progress progress("train " + model, static_cast<uint64_t>(std::max<int64_t>(0, end - first)), "step");
  log::Stopwatch clock;
  double window_start = 0;  // time and step of the last log line: ms/step over the last window
  int64_t window_step = first;
  // The minibatch's indices are drawn on the host (the same draws on every device) and copied from
  // pinned memory without blocking; the loss read at the end of each step orders the next overwrite.
  const auto batch = torch::empty({options.batch_size}, torch::TensorOptions(torch::kInt64).pinned_memory(device.is_cuda()));
  int64_t* const batch_index = batch.data_ptr<int64_t>();
  // Over the steps final_loss averages (the last 1%, at least 10), the loss of predicting each
  // batch's mean target, for the warning after a training that learned nothing; only there, as
  // reading it waits for the device.
  const int64_t tail_steps = std::min<int64_t>(end, std::max<int64_t>(10, end / 100));
  std::vector<float> mean_losses;
  module->train();
  for (; st.step < end; ++st.step) {
    const double lr = learning_rate(options, st.step);
    group_options.lr(lr);
    for (int64_t i = 0; i < options.batch_size; ++i) batch_index[i] = static_cast<int64_t>(batch_rng.below(static_cast<uint64_t>(n)));
    // Every rank draws the whole global batch and computes its shard of it.
    const auto idx = ranks.shard(batch).to(device, /*non_blocking=*/true);
    opt.zero_grad();
    const auto [x, y] = minibatch(idx);
    // The network's input, its conditioning (label, or the ARDM's time embedding) and the target.
    torch::Tensor input = x, cond, target = y;
    if (m.spec.ardm()) {
      // Diffusion steps and noise from a generator keyed by the step, so that a resumed run
      // draws exactly what an uninterrupted one does.
      auto gen = at::detail::createCPUGenerator(Rng(seed, static_cast<uint64_t>(st.step), "learner.ardm").next_u64());
      const auto steps = ranks.shard(torch::randint(1, options.ardm_train_steps + 1, {options.batch_size}, gen, torch::kLong));
      const auto eps = ranks.shard(torch::randn({options.batch_size, dim}, gen, torch::kFloat32)).to(device);
      const auto ex = diffusion.training_example(y, steps, eps);
      input = torch::cat({x, ex.x_t}, 1);
      cond = time_embedding(ex.s, options.embed_dim);
      target = ex.target;
    } else if (d > 0) {
      cond = labels.index_select(0, idx);
    }
    const auto prediction = [&] {
      Autocast autocast(exec);
      return m.net.forward(input, cond);
    }();
    const auto loss = torch::mse_loss(prediction, target);
    if (st.step >= end - tail_steps)
      mean_losses.push_back(static_cast<float>(
          ranks.mean((target - ranks.global_column_mean(target)).pow(2).mean().item<double>())));
    loss.backward();
    // The gradient and the loss of the global batch, before clipping.
    const double value = ranks.average_gradients(module->parameters(), loss.item<double>());
    if (options.grad_clip > 0) torch::nn::utils::clip_grad_norm_(module->parameters(), options.grad_clip);
    if (!std::isfinite(value))
      runtime_error("train " + model + ": the loss is not finite at step " + std::to_string(st.step + 1) + " (lr " +
                    std::to_string(lr) + "); " + kept_checkpoint(last_checkpoint) + ": lower lr or set grad_clip");
    opt.step();
    st.losses.push_back(static_cast<float>(value));

    char extra[64];
    std::snprintf(extra, sizeof extra, "loss %.3e", value);
    progress.advance(1, extra);
    const int64_t done = st.step + 1;
    if (done % options.log_every == 0 || done == end) {
      ranks.check_identical(module->parameters(), done);
      synchronize(device);
      const double now = clock.seconds();
      const double ms = 1e3 * (now - window_start) / static_cast<double>(done - window_step);
      char line[256];
      std::snprintf(line, sizeof line, "train %s: step %lld/%lld loss %.3e lr %.2e %.2f ms/step %.0f transitions/s ETA %s",
                    model.c_str(), static_cast<long long>(done), static_cast<long long>(options.iterations), value, lr,
                    ms, 1e3 * static_cast<double>(options.batch_size) / ms,
                    log::format_duration(ms * 1e-3 * static_cast<double>(options.iterations - done)).c_str());
      log::info(line);
      window_start = now;
      window_step = done;
    }
    if (!checkpoint_path.empty() && (done % options.checkpoint_every == 0 || done == end) && done < options.iterations) {
      if (!all_finite(m.net))
        runtime_error("train " + model + ": weights are not finite after step " + std::to_string(done) + "; " +
                      kept_checkpoint(last_checkpoint));
      if (ranks.root()) save_checkpoint(checkpoint_path, identity, done, st, batch_rng, *module, opt);
      last_checkpoint = done;
    }
  }
  progress.done();

  TrainResult r;
  synchronize(device);
  r.seconds = clock.seconds();
  r.device = device.str();
  r.peak_memory_bytes = peak_memory_bytes(device);
  r.steps = st.step;
  r.parameters = parameters;
  r.samples_per_second =
      r.seconds > 0 ? static_cast<double>((st.step - first) * options.batch_size) / r.seconds : 0.0;
  const size_t tail = std::min(st.losses.size(), std::max<size_t>(10, st.losses.size() / 100));
  for (size_t i = st.losses.size() - tail; i < st.losses.size(); ++i) r.final_loss += st.losses[i];
  r.final_loss /= static_cast<double>(std::max<size_t>(1, tail));
  const size_t mean_tail = std::min(tail, mean_losses.size());
  for (size_t i = mean_losses.size() - mean_tail; i < mean_losses.size(); ++i) r.mean_predictor_loss += mean_losses[i];
  r.mean_predictor_loss /= static_cast<double>(std::max<size_t>(1, mean_tail));
  if (st.step < options.iterations) return r;  // stopped early: the checkpoint is the result

  if (!all_finite(m.net)) runtime_error("train " + model + ": weights are not finite at the end");
  m.losses = st.losses;
  if (!ranks.root()) return r;  // rank 0 writes the model
  save_model(model_path, m);
  if (!checkpoint_path.empty()) std::filesystem::remove(checkpoint_path);
  return r;
}

}  // namespace slift::learner
