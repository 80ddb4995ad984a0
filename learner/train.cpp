// Training of Stochastic Lifting, the label-free baseline (MLP on states, UNet on fields) and the
// ARDM baseline (UNet) with exact resume, in four phases: what is trained (the spec), the
// training transitions on the device (data), the optimisation (loop) and the model file (finish).
//
// Stochastic Lifting (paper algorithm 1): every training transition x_t -> x_{t+1} carries a
// fixed Gaussian label z ~ N(0, I), drawn once from the seed; the network f(x_t, z) regresses the
// normalised increment under the mean squared error, trained by AdamW on minibatches drawn
// uniformly, its learning rate warmed up linearly and decayed by a cosine to 0. The other models
// differ only in their regression (learner/models.hpp).
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/cuda_graph.hpp"
#include "learner/distributed.hpp"
#include "learner/learner.hpp"
#include "learner/models.hpp"
#include "learner/static_channels.hpp"

// LibTorch's fused AdamW kernel, for CUDA and the CPU, came with 2.4; Debian's 1.13 has none.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define SLIFT_FUSED_ADAMW 1
#else
#define SLIFT_FUSED_ADAMW 0
#endif

namespace slift::learner {

constexpr bool kFusedAdamW = SLIFT_FUSED_ADAMW;

namespace {

// ---- spec: what is trained ----

// Whether the training steps are to be captured as a CUDA graph: as SLIFT_CUDA_GRAPH says (1 or 0),
// else with performance fast.
bool graph_wanted(const TrainOptions& o) {
  const char* v = std::getenv("SLIFT_CUDA_GRAPH");
  if (!v || !*v) return o.performance == "fast";
  const std::string value = v;
  if (value != "0" && value != "1")
    usage_error("SLIFT_CUDA_GRAPH=" + value + ": 1 (capture the training step as a CUDA graph) or 0 (do not)");
  return value == "1";
}

// Why this training's steps cannot be captured as a CUDA graph ("" when they can).
std::string graph_refusal(const torch::Device& device, const DataParallel& ranks) {
  std::string why = StepGraph::unavailable(device);
  if (why.empty() && !kFusedAdamW) why = "LibTorch " TORCH_VERSION " has no fused AdamW";
  if (why.empty() && ranks.size() > 1) why = "several ranks reduce their gradients over MPI or NCCL between backward and update";
  return why;
}

// "32 x 32", "64": a grid's sizes.
std::string grid_text(const std::vector<int64_t>& grid) {
  std::string text;
  for (const int64_t n : grid) text += (text.empty() ? "" : " x ") + std::to_string(n);
  return text;
}

// The model to train on `data` (read from `path`): its spec, seed and config; refuses data the
// network cannot take.
LoadedModel describe(const std::string& model, const TrainOptions& o, const Trajectories& data, const std::string& path,
                     uint64_t seed, const std::string& config_yaml) {
  if ((data.kind == "fields") != (o.arch == "unet"))
    usage_error(path + ": " + data.kind + " data need arch " + (data.kind == "fields" ? "unet" : "mlp"));
  LoadedModel m;
  m.spec.model = model;
  m.spec.options = o;
  m.spec.dim = data.dim;
  m.spec.grid = data.grid;
  m.spec.periodic = data.periodic;
  m.seed = seed;
  m.config_yaml = config_yaml;
  if (m.spec.unet()) {
    const int64_t g = m.spec.unet_spec().grid_multiple();
    if (std::any_of(data.grid.begin(), data.grid.end(), [&](int64_t n) { return n % g; }))
      usage_error(path + ": the grid " + grid_text(data.grid) + " must be a multiple of " + std::to_string(g) +
                  " along every axis for " + std::to_string(o.unet_widths.size()) + " UNet levels");
  }
  return m;
}

// The network in words, for the log.
std::string network_text(const ModelSpec& spec) {
  const TrainOptions& o = spec.options;
  if (!spec.unet()) return "MLP " + std::to_string(o.depth) + " x " + std::to_string(o.width) + " " + o.activation;
  std::string text = "UNet";
  for (auto w : o.unet_widths) text += " " + std::to_string(w);
  text += " on " + grid_text(spec.grid);
  const auto periodic_axes = std::count(spec.periodic.begin(), spec.periodic.end(), true);
  if (periodic_axes == 0 || periodic_axes == static_cast<int64_t>(spec.periodic.size()))
    return text + (periodic_axes ? " periodic" : " walls");
  text += " (periodic along";
  for (size_t a = 0; a < spec.periodic.size(); ++a)
    if (spec.periodic[a]) text += " axis " + std::to_string(a + 1);
  return text + ", walls otherwise)";
}

// ---- data: the training transitions on the device ----

// Every transition's normalised window, label and normalised increment (the network's target).
// States: all of them computed once. Fields: the normalised frames and each transition's frame
// rows, gathered per minibatch (the windows of a paper-scale set would not fit).
class TrainingSet {
 public:
  // Fits the model's normalisation; frees the raw states. `statics`: the trajectories' static
  // channels (fit_static_channels; undefined: none), appended to every window.
  TrainingSet(Trajectories& data, LoadedModel& m, const torch::Device& device, const torch::Tensor& statics = {})
      : spec_(m.spec) {
    if (data.kind == "fields")
      load_fields(data, m, device);
    else
      load_states(data, m, device);
    if (statics.defined()) {
      statics_ = statics;
      trajectories_ = input_rows_.select(1, 0).div(data.n_time, "floor");  // row i n_time + t -> i
    }
    std::vector<float>().swap(data.states);
  }
  int64_t size() const { return n_; }

  // Transitions idx (on the device).
  Minibatch minibatch(const torch::Tensor& idx) const {
    const torch::Tensor z = spec_.label_dim() > 0 ? labels_.index_select(0, idx) : torch::Tensor();
    if (!frames_.defined()) return {inputs_.index_select(0, idx), targets_.index_select(0, idx), z};
    const int64_t w = spec_.window(), dim = spec_.dim;
    const auto x = frames_.index_select(0, input_rows_.index_select(0, idx).flatten()).view({idx.size(0), w * dim});
    // The base (newest frame, or the extrapolation 2 x_t - x_{t-1}) in normalised frames: its
    // coefficients sum to 1, so it commutes with the affine normalisation.
    const auto base = prediction_base(spec_, x);
    const auto statics = statics_.defined() ? statics_.index_select(0, trajectories_.index_select(0, idx)) : torch::Tensor();
    return {with_static_channels(x, statics), (frames_.index_select(0, target_rows_.index_select(0, idx)) - base) * increment_factor_, z};
  }

 private:
  void load_states(const Trajectories& data, LoadedModel& m, const torch::Device& device) {
    const int64_t w = spec_.window(), dim = data.dim, d = spec_.label_dim();
    const auto tr = make_transitions(data, w, d, spec_.options.shuffle_fraction, m.seed);
    m.norm = fit_normalisation(tr);
    n_ = tr.n;
    const auto windows = to_tensor(tr.inputs, {n_, w * dim});
    inputs_ = normalise_windows(spec_, m.norm, windows).to(device);
    labels_ = to_tensor(tr.labels, {n_, d}).to(device);
    const auto current = windows.slice(1, (w - 1) * dim);
    const auto scale = to_tensor(m.norm.out_scale, {dim});
    targets_ = ((to_tensor(tr.targets, {n_, dim}) - current) / scale).to(device);
  }

  void load_fields(const Trajectories& data, LoadedModel& m, const torch::Device& device) {
    const int64_t w = spec_.window(), d = spec_.label_dim();
    auto rows = transition_rows(data, w, spec_.options.shuffle_fraction, m.seed, spec_.direct());
    m.norm = fit_pooled_normalisation(data, rows, spec_.extrapolate());
    n_ = rows.n;
    const auto states = to_tensor(data.states, {data.n_traj * data.n_time, data.dim});
    frames_ = ((states - m.norm.in_mean[0]) / m.norm.in_std[0]).to(device);
    input_rows_ = torch::from_blob(rows.inputs.data(), {n_, w}, torch::kInt64).clone().to(device);
    target_rows_ = torch::from_blob(rows.targets.data(), {n_}, torch::kInt64).clone().to(device);
    labels_ = to_tensor(transition_labels(n_, d, m.seed), {n_, d}).to(device);
    // normalised-frame difference -> normalised increment
    increment_factor_ = static_cast<double>(m.norm.in_std[0]) / static_cast<double>(m.norm.out_scale[0]);
  }

  const ModelSpec& spec_;
  torch::Tensor inputs_, targets_, labels_, frames_, input_rows_, target_rows_;
  torch::Tensor statics_, trajectories_;  // static channels per trajectory (undefined: none); each transition's trajectory
  double increment_factor_ = 1;
  int64_t n_ = 0;
};

// ---- AdamW: LibTorch's fused kernel on torch::optim::AdamW's state ----

#if SLIFT_FUSED_ADAMW
// One parameter group's parameters with a gradient and their AdamW state (created as
// torch::optim::AdamW's step() creates it), as the fused kernel takes them.
struct FusedAdamW {
  std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs;
  std::vector<torch::optim::AdamWParamState*> states;

  FusedAdamW(torch::optim::AdamW& opt, torch::optim::OptimizerParamGroup& group) {
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto& slot = opt.state()[p.unsafeGetTensorImpl()];
      if (!slot) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& state = static_cast<torch::optim::AdamWParamState&>(*slot);
      params.push_back(p), grads.push_back(p.grad()), exp_avgs.push_back(state.exp_avg()),
          exp_avg_sqs.push_back(state.exp_avg_sq()), states.push_back(&state);
    }
  }

  // The update, at learning rate `lr` (a number, or a float32 tensor on the parameters' device),
  // each parameter's step count (this step included) read from `steps`.
  template <typename Lr>
  void update(const torch::optim::AdamWOptions& o, const Lr& lr, const std::vector<torch::Tensor>& steps) {
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, {}, steps, lr, std::get<0>(o.betas()), std::get<1>(o.betas()),
                      o.weight_decay(), o.eps(), /*amsgrad=*/false, /*maximize=*/false);
  }
};
#endif

// The steps AdamW has taken (every parameter as many in training; 0 before the first).
int64_t adamw_step_count(torch::optim::AdamW& opt) {
  for (const auto& [key, state] : opt.state()) return static_cast<torch::optim::AdamWParamState&>(*state).step();
  return 0;
}

// The host's record of one more step, for a step the device took on its own (a CUDA graph's).
void count_adamw_step(torch::optim::AdamW& opt) {
  for (auto& [key, state] : opt.state()) {
    auto& s = static_cast<torch::optim::AdamWParamState&>(*state);
    s.step(s.step() + 1);
  }
}

// adamw_step's fused update with nothing on the host, for a CUDA graph to record: the learning
// rate read from `lr`, the step count from `count` (this step included; every parameter's); the
// state exists (the steps before the capture made it).
void fused_adamw_step(torch::optim::AdamW& opt, const torch::Tensor& lr, const torch::Tensor& count) {
#if SLIFT_FUSED_ADAMW
  torch::NoGradGuard no_grad;
  for (auto& group : opt.param_groups()) {
    FusedAdamW lists(opt, group);
    lists.update(static_cast<const torch::optim::AdamWOptions&>(group.options()), lr,
                 std::vector<torch::Tensor>(lists.params.size(), count));
  }
#else
  (void)opt, (void)lr, (void)count;
  runtime_error("internal: fused AdamW in LibTorch " TORCH_VERSION);
#endif
}

// ---- loop: AdamW on uniform minibatches, warm-up and cosine schedule, exact resume ----

// Linear warm-up to lr, then cosine decay to 0 at the last step.
double learning_rate(const TrainOptions& o, int64_t step) {
  if (step < o.warmup) return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup);
  const double span = static_cast<double>(std::max<int64_t>(1, o.iterations - o.warmup));
  return 0.5 * o.lr * (1.0 + std::cos(M_PI * static_cast<double>(step - o.warmup) / span));
}

// What a failed training leaves to resume from.
std::string kept_checkpoint(int64_t step) {
  return step > 0 ? "the last checkpoint (step " + std::to_string(step) + ") is kept" : "no checkpoint was written yet";
}

int64_t parameter_count(const Net& net) {
  int64_t n = 0;
  for (const auto& p : net.module()->parameters()) n += p.numel();
  return n;
}

bool all_finite(const Net& net) {
  for (const auto& p : net.module()->parameters())
    if (!torch::isfinite(p).all().item<bool>()) return false;
  return true;
}

// The optimisation of one model: its state is the step, the losses so far, the weights, AdamW's
// moments and the position of the minibatch stream, which a checkpoint holds whole.
class Trainer {
 public:
  Trainer(LoadedModel& m, const Model& model, const TrainingSet& set, const Execution& exec, const DataParallel& ranks,
          const std::string& checkpoint, const std::string& identity, bool capture)
      : m_(m), o_(m.spec.options), model_(model), set_(set), exec_(exec), ranks_(ranks), checkpoint_(checkpoint),
        identity_(identity),
        module_(m.net.module()),
        opt_(module_->parameters(), torch::optim::AdamWOptions(o_.lr).weight_decay(o_.weight_decay)),
        batch_rng_(m.seed, 0, "learner.batch"),
        capture_(capture) {}

  // Continues from this run's checkpoint, if there is one.
  void resume() {
    if (!load_checkpoint()) return;
    log::info("train " + m_.spec.model + ": resuming from step " + std::to_string(step_) + " (" + checkpoint_ + ")");
    last_checkpoint_ = step_;
  }

  // Optimizer steps until `end`, with log lines and checkpoints.
  void run(int64_t end) {
    first_ = step_;
    read_at_ = step_;
    // Over the steps final_loss averages (the last 1%, at least 10), the loss of predicting each
    // batch's mean target, for the warning after a training that learned nothing; only there, as
    // reading it waits for the device.
    tail_start_ = end - std::min<int64_t>(end, std::max<int64_t>(10, end / 100));
    log::Progress progress("train " + m_.spec.model, static_cast<uint64_t>(std::max<int64_t>(0, end - first_)), "step");
    clock_ = log::Stopwatch();
    window_step_ = first_;
    module_->train();
    if (capture_) start_graph(end);
    for (; step_ < end; ++step_) {
      if (step_ == read_at_) draw_indices(end);
      step();
      progress.advance(1, loss_text_);
      const int64_t done = step_ + 1;
      if (done == read_at_) read_losses();
      if (done % o_.log_every == 0 || done == end) {
        ranks_.check_identical(module_->parameters(), done);
        log_line(done, losses_.back());
      }
      if (!checkpoint_.empty() && (done % o_.checkpoint_every == 0 || done == end) && done < o_.iterations) checkpoint(done);
    }
    progress.done();
    graph_.reset();
  }

  TrainResult result() const;
  int64_t steps() const { return step_; }
  const std::vector<float>& losses() const { return losses_; }

 private:
  // The host reads the device (losses, the non-finite guard) only every so many steps, so that the
  // device runs ahead: at each log line, each checkpoint, the end and at least every this many steps.
  static constexpr int64_t kMostStepsUnread = 1000;

  // The minibatch indices of the steps up to the next read, drawn on the host (the same draws in
  // the same order on every device, as one step at a time) and copied in one go.
  void draw_indices(int64_t end) {
    read_at_ = std::min({end, (step_ / o_.log_every + 1) * o_.log_every, step_ + kMostStepsUnread});
    if (!checkpoint_.empty()) read_at_ = std::min(read_at_, (step_ / o_.checkpoint_every + 1) * o_.checkpoint_every);
    auto idx = torch::empty({read_at_ - step_, o_.batch_size}, torch::kInt64);
    int64_t* const index = idx.data_ptr<int64_t>();
    for (int64_t i = 0; i < idx.numel(); ++i) index[i] = static_cast<int64_t>(batch_rng_.below(static_cast<uint64_t>(set_.size())));
    indices_ = idx.to(exec_.device);  // waits for the device's queue: once per read, like the read itself
  }

  // One step of AdamW on a minibatch of transitions drawn uniformly; its loss stays on the device.
  void step() {
    if (graph_ && graph_->captured()) return replay();
    torch::Tensor loss = gradients();
    // The gradients and the loss of the global batch: this rank's shard's, averaged over the ranks
    // (over NCCL: the buckets the backward started, finished).
    if (ranks_.size() > 1) loss = ranks_.average_gradients(module_->parameters(), loss);
    update();
    unread_losses_.push_back(loss);
    if (graph_ && step_ + 1 - first_ == kGraphWarmup) capture();
  }

  // The loss of this rank's shard of a fresh global minibatch (the model's regression), and its
  // gradients.
  torch::Tensor gradients() {
    opt_.zero_grad();
    const Loss loss = regression_loss(model_, m_.net, shard(step_indices()), step_, exec_);
    if (step_ >= tail_start_) unread_mean_losses_.push_back(mean_predictor_loss(loss.target));
    loss.value.backward();
    return loss.value.detach();
  }

  // This step's global minibatch (its indices, on the device).
  torch::Tensor step_indices() const { return indices_[step_ - (read_at_ - indices_.size(0))]; }

  // This rank's shard of the global minibatch `idx`. The model's draws are made for the whole
  // global batch, so they do not depend on the rank count.
  Minibatch shard(const torch::Tensor& idx) const {
    Minibatch b = set_.minibatch(ranks_.shard(idx));
    b.first = ranks_.shard_begin(), b.global = o_.batch_size;
    return b;
  }

  // The loss of predicting the global batch's mean target.
  torch::Tensor mean_predictor_loss(const torch::Tensor& target) const {
    return (target - ranks_.global_column_mean(target)).pow(2).mean();
  }

  // ---- the step as a CUDA graph (docs/gpu.md, "CUDA graphs") ----

  // Steps run as they are before the capture: start-up, cuDNN's autotuning, AdamW's state.
  static constexpr int64_t kGraphWarmup = 3;

  // The side stream for the steps to come, or the one log line saying why they are not captured.
  void start_graph(int64_t end) {
    std::string why = graph_refusal(exec_.device, ranks_);
    if (why.empty() && end - step_ <= kGraphWarmup) why = "too few steps";
    if (why.empty())
      graph_ = std::make_unique<StepGraph>(exec_.device);
    else
      log::info("train " + m_.spec.model + ": steps not captured as a CUDA graph: " + why);
  }

  // Records one step: the minibatch from graph_io_.idx, the learning rate from graph_io_.lr, the
  // step that keys the model's draws (the ARDM's) in graph_io_.step and AdamW's step count in
  // graph_io_.count (both counted up by the graph), the losses into graph_io_.loss and
  // graph_io_.mean_loss. Every step after it replays it; where CUDA refuses, they run as before.
  void capture() {
    const auto on_device = torch::TensorOptions(exec_.device);
    graph_io_.idx = torch::empty({o_.batch_size}, on_device.dtype(torch::kInt64));
    graph_io_.lr = torch::zeros({}, on_device.dtype(torch::kFloat32));
    graph_io_.step = torch::full({}, step_, on_device.dtype(torch::kInt64));  // this step: a replay adds 1 first
    graph_io_.count = torch::full({}, static_cast<double>(adamw_step_count(opt_)), on_device.dtype(torch::kFloat32));
    opt_.zero_grad();  // the recorded backward makes the gradients, in the graph's memory
    const std::string refused = graph_->capture([&] {
      graph_io_.step.add_(1);
      const Loss loss = regression_loss(model_, m_.net, shard(graph_io_.idx), graph_io_.step, exec_);
      graph_io_.mean_loss = mean_predictor_loss(loss.target);
      loss.value.backward();
      graph_io_.loss = loss.value.detach();
      if (o_.grad_clip > 0) clip_gradients();
      graph_io_.count.add_(1);
      fused_adamw_step(opt_, graph_io_.lr, graph_io_.count);
    });
    if (refused.empty()) {
      log::info("train " + m_.spec.model + ": steps captured as a CUDA graph after " + std::to_string(kGraphWarmup) +
                " warm-up steps");
      return;
    }
    log::info("train " + m_.spec.model + ": steps not captured as a CUDA graph: " + refused);
    graph_.reset();
  }

  // One step by the graph: what the eager step computes, with the same numbers.
  void replay() {
    const double lr = learning_rate(o_, step_);
    graph_io_.idx.copy_(step_indices());
    graph_io_.lr.fill_(lr);
    graph_->replay();
    ++graph_steps_;
    count_adamw_step(opt_);
    static_cast<torch::optim::AdamWOptions&>(opt_.param_groups()[0].options()).lr(lr);
    unread_losses_.push_back(graph_io_.loss.clone());
    if (step_ >= tail_start_) unread_mean_losses_.push_back(graph_io_.mean_loss.clone());
  }

  // AdamW's update at this step's learning rate, after clipping the gradients' norm.
  void update() {
    const double lr = learning_rate(o_, step_);
    if (o_.grad_clip > 0) clip_gradients();
    static_cast<torch::optim::AdamWOptions&>(opt_.param_groups()[0].options()).lr(lr);
    // Fused on a GPU, where a step's ~1,100 small launches cost more than its arithmetic; the CPU
    // keeps the plain step, and with it the numbers of every CPU training so far.
    adamw_step(opt_, exec_.device.is_cuda());
  }

  // torch::nn::utils::clip_grad_norm_ without its read of the norm: the same scaling, by
  // min(1, clip / (norm + 1e-6)) computed on the device.
  void clip_gradients() {
    std::vector<torch::Tensor> grads;
    for (const auto& p : module_->parameters())
      if (p.grad().defined()) grads.push_back(p.grad());
    if (grads.empty()) return;
    const auto norms = at::_foreach_norm(grads, 2);
    const auto total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
    const auto factor = (o_.grad_clip / (total + 1e-6)).clamp_max(1.0);
#if TORCH_VERSION_MAJOR >= 2
    at::_foreach_mul_(grads, factor);
#else
    for (auto& g : grads) g.mul_(factor);
#endif
  }

  // The losses since the last read, to the host; a loss that is not finite stops the run.
  void read_losses() {
    const auto losses = torch::stack(unread_losses_).to(torch::kCPU, torch::kFloat64);
    const int64_t first = step_ + 1 - losses.size(0);  // the step these losses start at
    for (int64_t i = 0; i < losses.size(0); ++i) {
      const double loss = losses[i].item<double>();
      if (!std::isfinite(loss))
        runtime_error("train " + m_.spec.model + ": the loss is not finite at step " + std::to_string(first + i + 1) +
                      " (lr " + std::to_string(learning_rate(o_, first + i)) + "); " + kept_checkpoint(last_checkpoint_) +
                      ": lower lr or set grad_clip");
      losses_.push_back(static_cast<float>(loss));
    }
    for (const auto& l : unread_mean_losses_) mean_losses_.push_back(static_cast<float>(ranks_.mean(l.item<double>())));
    unread_losses_.clear(), unread_mean_losses_.clear();
    char text[64];
    std::snprintf(text, sizeof text, "loss %.3e", static_cast<double>(losses_.back()));
    loss_text_ = text;
  }

  // ms per step over the steps since the last line.
  void log_line(int64_t done, double loss) {
    synchronize(exec_.device);
    const double now = clock_.seconds();
    const double ms = 1e3 * (now - window_start_) / static_cast<double>(done - window_step_);
    char line[256];
    std::snprintf(line, sizeof line, "train %s: step %lld/%lld loss %.3e lr %.2e %.2f ms/step %.0f transitions/s ETA %s",
                  m_.spec.model.c_str(), static_cast<long long>(done), static_cast<long long>(o_.iterations), loss,
                  learning_rate(o_, done - 1), ms, 1e3 * static_cast<double>(o_.batch_size) / ms,
                  log::format_duration(ms * 1e-3 * static_cast<double>(o_.iterations - done)).c_str());
    log::info(line);
    window_start_ = now;
    window_step_ = done;
  }

  // `done`: steps completed (the loop's step counter is one behind while the step is finished).
  void checkpoint(int64_t done) {
    if (!all_finite(m_.net))
      runtime_error("train " + m_.spec.model + ": weights are not finite after step " + std::to_string(done) + "; " +
                    kept_checkpoint(last_checkpoint_));
    last_checkpoint_ = done;
    if (!ranks_.root()) return;  // rank 0 writes the state every rank holds
    torch::serialize::OutputArchive a, weights, optimizer;
    a.write("identity", c10::IValue(identity_));
    a.write("step", c10::IValue(done));
    a.write("seconds", c10::IValue(earlier_seconds_ + clock_.seconds()));  // every segment so far
    a.write("batch_rng", c10::IValue(static_cast<int64_t>(batch_rng_.position())));
    a.write("losses", to_tensor(losses_, {static_cast<int64_t>(losses_.size())}));
    module_->save(weights);
    opt_.save(optimizer);
    a.write("net", weights);
    a.write("optimizer", optimizer);
    save_archive_atomic(a, checkpoint_);
  }

  // Loads the checkpoint if it belongs to this run; false (start over) otherwise. A damaged one
  // (checksum, truncation, records) is set aside as <checkpoint>.damaged with a warning: the
  // model starts over instead of being blocked for good. Every rank reads the same file; they
  // agree (a collective) before rank 0 moves it.
  bool load_checkpoint() {
    if (checkpoint_.empty() || !std::filesystem::exists(checkpoint_)) return false;
    std::string damage;
    bool loaded = false;
    try {
      loaded = read_checkpoint();
    } catch (const DamagedFile& e) {
      damage = e.what();
    } catch (const c10::Error&) {  // a record of another type or shape
      damage = checkpoint_ + ": damaged checkpoint (a record is not what slift writes)";
    }
    if (ranks_.mean(damage.empty() ? 0.0 : 1.0) == 0) return loaded;
    if (ranks_.root()) {
      const std::string aside = checkpoint_ + ".damaged";
      std::filesystem::rename(checkpoint_, aside);
      log::warn(damage + "; set aside as " + aside + ": train " + m_.spec.model + " starts over");
    }
    return false;
  }

  bool read_checkpoint() {
    torch::serialize::InputArchive a = load_archive(checkpoint_, "checkpoint", exec_.device, /*sealed=*/true);
    c10::IValue v;
    a.read("identity", v);
    if (v.toStringRef() != identity_) {
      log::warn(checkpoint_ + " belongs to another run (options, data or seed differ): starting over");
      return false;
    }
    // Everything is read before anything is set.
    a.read("step", v);
    const int64_t step = v.toInt();
    const double earlier = a.try_read("seconds", v) ? v.toDouble() : 0.0;  // absent from older checkpoints
    a.read("batch_rng", v);
    const auto position = static_cast<uint64_t>(v.toInt());
    torch::Tensor losses;
    a.read("losses", losses);
    losses = losses.to(torch::kCPU).contiguous();  // the archive was loaded onto the training device
    torch::serialize::InputArchive weights, optimizer;
    a.read("net", weights);
    a.read("optimizer", optimizer);
    module_->load(weights);
    opt_.load(optimizer);
    step_ = step, earlier_seconds_ = earlier;
    batch_rng_.seek(position);
    losses_.assign(losses.data_ptr<float>(), losses.data_ptr<float>() + losses.numel());
    return true;
  }

  LoadedModel& m_;
  const TrainOptions& o_;
  const Model& model_;
  const TrainingSet& set_;
  const Execution& exec_;
  const DataParallel& ranks_;
  const std::string checkpoint_, identity_;
  std::shared_ptr<torch::nn::Module> module_;
  torch::optim::AdamW opt_;
  Rng batch_rng_;
  torch::Tensor indices_;  // the minibatch indices of the steps up to read_at_, one row per step
  const bool capture_;     // the steps to be captured as a CUDA graph
  int64_t graph_steps_ = 0;  // steps replayed
  std::unique_ptr<StepGraph> graph_;
  struct {
    torch::Tensor idx, lr, step, count, loss, mean_loss;
  } graph_io_;  // what the recorded step reads and writes
  int64_t step_ = 0, first_ = 0, last_checkpoint_ = 0, tail_start_ = 0, read_at_ = 0;
  std::vector<float> losses_, mean_losses_;
  std::vector<torch::Tensor> unread_losses_, unread_mean_losses_;  // on the device, since the last read
  std::string loss_text_;  // the last loss read, for the progress bar
  log::Stopwatch clock_;
  double earlier_seconds_ = 0;  // training time of the segments before this one (resumed runs)
  double window_start_ = 0;     // time and step of the last log line
  int64_t window_step_ = 0;
};

// ---- finish: what the run reports ----

// Mean of the last `n` values (at most all of them; 0 for none).
double tail_mean(const std::vector<float>& v, size_t n) {
  n = std::min(n, v.size());
  double sum = 0;
  for (size_t i = v.size() - n; i < v.size(); ++i) sum += v[i];
  return sum / static_cast<double>(std::max<size_t>(1, n));
}

TrainResult Trainer::result() const {
  TrainResult r;
  synchronize(exec_.device);
  const double segment = clock_.seconds();
  r.seconds = earlier_seconds_ + segment;  // a resumed run counts every segment
  r.device = exec_.device.str();
  r.peak_memory_bytes = peak_memory_bytes(exec_.device);
  r.steps = step_;
  r.graph_steps = graph_steps_;
  r.parameters = parameter_count(m_.net);
  r.samples_per_second = segment > 0 ? static_cast<double>((step_ - first_) * o_.batch_size) / segment : 0.0;
  const size_t tail = std::max<size_t>(10, losses_.size() / 100);  // the last 1%, at least 10
  r.final_loss = tail_mean(losses_, tail);
  r.mean_predictor_loss = tail_mean(mean_losses_, std::min(tail, losses_.size()));
  return r;
}

}  // namespace

bool fused_adamw_available() { return kFusedAdamW; }

void adamw_step(torch::optim::AdamW& opt, bool fused) {
  if (!fused || !kFusedAdamW) {
    opt.step();
    return;
  }
#if SLIFT_FUSED_ADAMW
  torch::NoGradGuard no_grad;
  for (auto& group : opt.param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    FusedAdamW lists(opt, group);
    for (auto* state : lists.states) state->step(state->step() + 1);
    // The kernel reads each parameter's step count from a float32 tensor on its device; in
    // training every parameter has taken as many steps, so one tensor serves them all.
    std::vector<torch::Tensor> steps;
    int64_t last_step = -1;
    for (size_t i = 0; i < lists.params.size(); ++i) {
      const int64_t step = lists.states[i]->step();
      steps.push_back(step == last_step ? steps.back()
                                        : torch::full({}, static_cast<double>(step), lists.params[i].options().dtype(torch::kFloat32)));
      last_step = step;
    }
    // On CUDA the learning rate as a float32 tensor on the device, as a captured step reads it
    // (fused_adamw_step), so that captured and uncaptured steps round it alike.
    if (!lists.params.empty() && lists.params.front().is_cuda())
      lists.update(o, torch::full({}, o.lr(), lists.params.front().options().dtype(torch::kFloat32)), steps);
    else
      lists.update(o, o.lr(), steps);
  }
#endif
}

TrainResult train_model(const std::string& model, const TrainOptions& requested, const std::string& train_data,
                        uint64_t seed, const std::string& model_path, const std::string& checkpoint_path,
                        const std::string& config_yaml) {
  // Spec: what is trained (options a config could have: the checks of the settings table), and
  // where (train.performance resolved for the device).
  if (auto bad = settings_error(requested, model)) usage_error(*bad);
  const TrainOptions options = for_device(requested, pick_device(requested.device).is_cuda());
  const bool capture = graph_wanted(options);
  // One rank, or this rank of a data-parallel training (learner/distributed.hpp).
  const DataParallel ranks(options.batch_size);
  ranks.select_gpu();
  const Execution exec = setup_execution(options.device, options.precision, options.threads, options.deterministic);
  auto data = read_trajectories(train_data, options.state_field);
  LoadedModel m = describe(model, options, data, train_data, seed, config_yaml);
  const auto regression = model_for_training(m.spec, seed);

  // Data: the transitions, their labels and the normalisation, on the device.
  const TrainingSet set(data, m, exec.device, fit_static_channels(m, train_data, data, exec.device));

  // Loop: AdamW from the initial weights, or from this run's checkpoint.
  torch::manual_seed(seed);  // initial weights
  m.net = Net(m.spec);
  m.net.module()->to(exec.device);
  if (options.channels_last) m.net.use_channels_last();
  // A checkpoint is resumed only by the run it belongs to.
  const std::string identity =
      sha256(training_identity(options, model) + conditioning_identity(options.condition_on) + "|seed=" + std::to_string(seed) + "|data=" + sha256_file(train_data));
  Trainer trainer(m, *regression, set, exec, ranks, checkpoint_path, identity, capture);
  trainer.resume();
  ranks.broadcast(m.net.module()->parameters());
  ranks.reduce_during_backward(m.net.module()->parameters());
  log::info("train " + model + ": " + std::to_string(set.size()) + " transitions, " + network_text(m.spec) + ", label dim " +
            std::to_string(m.spec.label_dim()) + ", " + std::to_string(parameter_count(m.net)) + " parameters, " +
            std::to_string(torch::get_num_threads()) + " threads" +
            (ranks.size() > 1 ? " x " + std::to_string(ranks.size()) + " ranks" : "") + ", " + exec.device.str() +
            (exec.autocast ? ", bfloat16 autocast" : ""));

  trainer.run(options.stop_after > 0 ? std::min(options.stop_after, options.iterations) : options.iterations);

  // Finish: the model file (weights, settings, normalisation, losses) replaces the checkpoint.
  TrainResult r = trainer.result();
  r.model = model;
  r.precision = options.precision;
  if (trainer.steps() < options.iterations) return r;  // stopped early: the checkpoint is the result
  if (!all_finite(m.net)) runtime_error("train " + model + ": weights are not finite at the end");
  if (!ranks.root()) return r;  // rank 0 writes the model
  m.losses = trainer.losses();
  save_model(model_path, m);
  if (!checkpoint_path.empty()) std::filesystem::remove(checkpoint_path);
  return r;
}

}  // namespace slift::learner
