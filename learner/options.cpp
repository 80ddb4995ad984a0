#include "learner/options.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "core/error.hpp"
#include "core/machine.hpp"

namespace slift::learner {

const std::vector<ModelKind>& model_kinds() {
  static const std::vector<ModelKind> kinds{
      {"sl", /*labels=*/true, /*diffusion=*/false},              // Stochastic Lifting
      {"deterministic", /*labels=*/false, /*diffusion=*/false},  // the label-free baseline
      {"ardm", /*labels=*/false, /*diffusion=*/true},            // the autoregressive diffusion baseline
  };
  return kinds;
}

static std::string joined(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

static std::vector<std::string> model_names(bool (*keep)(const ModelKind&)) {
  std::vector<std::string> names;
  for (const auto& k : model_kinds())
    if (keep(k)) names.push_back(k.name);
  return names;
}

static std::optional<std::string> unknown_model(const std::string& name) {
  for (const auto& k : model_kinds())
    if (k.name == name) return std::nullopt;
  return "unknown model '" + name + "' (" + joined(model_names([](const ModelKind&) { return true; }), ", ") + ")";
}

const ModelKind& model_kind(const std::string& name) {
  if (auto bad = unknown_model(name)) usage_error(*bad);
  return *std::find_if(model_kinds().begin(), model_kinds().end(), [&](const ModelKind& k) { return k.name == name; });
}

namespace {

using O = TrainOptions;
using S = ModelSetting;
// A check of a setting against those read before it: an error text, or nothing.
using Fits = std::function<std::optional<std::string>(const O&)>;

template <class T>
struct Same {
  using type = T;
};

// One row of the table, its traits set by name.
struct Row {
  S s;
  Row& mlp() { return s.arch = S::Arch::mlp, *this; }
  Row& unet() { return s.arch = S::Arch::unet, *this; }
  Row& labels() { return s.reads = S::Reads::labels, *this; }
  Row& diffusion() { return s.reads = S::Reads::diffusion, *this; }
  Row& training() { return s.effect = S::Effect::training, *this; }
  Row& run() { return s.effect = S::Effect::run, *this; }
  Row& since(S::Since when) { return s.since = when, *this; }
  Row& fits(Fits f) {
    auto read = s.parse;
    const std::string key = s.key;
    s.parse = [read, key, f](config::Section& sec, O& o) {
      read(sec, o);
      if (auto bad = f(o)) sec.fail(key, *bad);
    };
    return *this;
  }
  operator S() const { return s; }
};

template <class T>
Row row(const std::string& key, T O::*field, const typename Same<T>::type& fallback, const std::string& doc,
        config::Check<T> check = {}) {
  Row r;
  r.s.key = key;
  r.s.doc = doc;
  r.s.fallback = fallback;
  r.s.parse = [key, field, fallback, check](config::Section& sec, O& o) { o.*field = sec.get<T>(key, fallback, check); };
  r.s.get = [field](const O& o) { return SettingValue(o.*field); };
  r.s.set = [field](O& o, const SettingValue& v) { o.*field = std::get<T>(v); };
  return r;
}

// A setting that only the UNet reads, refused with `what` for the MLP when set.
Fits unet_only(bool (*set)(const O&), std::string what) {
  return [set, what](const O& o) { return set(o) && o.arch != "unet" ? std::optional<std::string>(what) : std::nullopt; };
}

// The table: one row per setting, in the order the section is read (errors, the resolved config);
// long because it is a list, not an algorithm.
std::vector<S> make_settings() {
  using Since = S::Since;
  return {
      row("arch", &O::arch, "mlp", "the network: mlp (states) or unet (fields)", config::one_of({"mlp", "unet"})),
      row("width", &O::width, 512, "MLP: width of the hidden layers", config::at_least(1)).mlp(),
      row("depth", &O::depth, 3, "MLP: number of hidden layers", config::at_least(1)).mlp(),
      row("activation", &O::activation, "silu", "MLP: activation", config::one_of({"silu", "relu", "gelu", "tanh"})).mlp(),
      row("unet_widths", &O::unet_widths, {32, 64, 128}, "UNet: channels per level",
          config::Check<std::vector<int64_t>>([](const std::vector<int64_t>& v) {
            if (v.empty()) return std::optional<std::string>("at least one level is needed");
            for (auto w : v)
              if (w < 8 || w % 8) return std::optional<std::string>("widths must be multiples of 8 (GroupNorm(8))");
            return std::optional<std::string>();
          }))
          .unet(),
      row("unet_blocks", &O::unet_blocks, 1, "UNet: residual blocks per level", config::at_least(1)).unet(),
      row("embed_dim", &O::embed_dim, 256, "UNet: width of the conditioning MLP (ARDM: of the time embedding)",
          config::at_least(1))
          .unet(),
      row("conditioning", &O::conditioning, "film", "UNet: film (scale and shift) or shift", config::one_of({"film", "shift"}))
          .unet(),
      row("label_dim", &O::label_dim, 64, "Stochastic Lifting: dimension of the Gaussian label z", config::at_least(0))
          .labels(),
      row("window", &O::window, 1, "Markov window: number of past states in the input", config::at_least(1)),
      row("shuffle_fraction", &O::shuffle_fraction, 0.0, "share of training trajectories whose pairing is broken",
          config::in_range(0, 1)),
      // next: frame t -> t + 1, rolled out; final: the direct map frame 0 -> last frame (paper figure 4 right).
      row("target", &O::target, "next", "what a transition maps to: next (rolled out) or final (the direct map)",
          config::one_of({"next", "final"}))
          .unet()
          .since(Since::model_files)
          .fits([](const O& o) -> std::optional<std::string> {
            if (o.target != "final") return std::nullopt;
            if (o.arch != "unet") return "target final (the direct initial-to-final map) is for fields: it needs arch unet";
            for (const auto& m : o.models)
              if (model_kind(m).diffusion)
                return "target final trains " + joined(model_names([](const ModelKind& k) { return !k.diffusion; }), " and ") +
                       " only (drop " + m + " from train.models)";
            return std::nullopt;
          }),
      // increment: x_{t+1} = x_t + s f; extrapolation: x_{t+1} = 2 x_t - x_{t-1} + s f (a wave's travel built in).
      row("output", &O::output, "increment", "what the network's output adds to: increment or extrapolation",
          config::one_of({"increment", "extrapolation"}))
          .unet()
          .since(Since::model_files)
          .fits([](const O& o) -> std::optional<std::string> {
            if (o.output != "extrapolation") return std::nullopt;
            if (o.arch != "unet") return "output extrapolation is for fields: it needs arch unet";
            if (o.window < 2) return "output extrapolation needs the last two frames: window >= 2";
            return std::nullopt;
          }),
      row("label_channels", &O::label_channels, false, "Stochastic Lifting: the label also as constant UNet input channels")
          .unet()
          .labels()
          .since(Since::model_files)
          .fits(unet_only([](const O& o) { return o.label_channels; }, "label channels are UNet input channels: arch unet")),
      row("iterations", &O::iterations, 6000, "optimizer steps", config::at_least(1)).training(),
      row("batch_size", &O::batch_size, 1024, "transitions per step", config::at_least(1)).training(),
      row("warmup", &O::warmup, 100, "steps of linear learning-rate warm-up", config::at_least(0)).training(),
      row("checkpoint_every", &O::checkpoint_every, 1000, "steps between checkpoints", config::at_least(1)).run(),
      row("log_every", &O::log_every, 500, "steps between log lines", config::at_least(1)).run(),
      row("lr", &O::lr, 1e-3, "AdamW's peak learning rate (cosine decay to 0)", config::positive()).training(),
      row("weight_decay", &O::weight_decay, 1e-4, "AdamW's weight decay", config::non_negative()).training(),
      row("grad_clip", &O::grad_clip, 0.0, "gradient norm clip (0: none)", config::non_negative()).training(),
      row("device", &O::device, "auto", "auto, cpu or cuda", config::one_of({"auto", "cpu", "cuda"})).run(),
      row("threads", &O::threads, 0, "CPU threads of training (0: the process's)",
          config::int_range(0, machine::max_threads()))
          .run(),
      // Data-parallel training (learner/distributed.hpp): `slift run` starts the training on this
      // many MPI ranks (mpirun -np ranks), `slift submit` renders it with as many tasks; under a
      // launcher the launcher's count rules. Not in the checkpoint identity: the state does not
      // depend on the rank count, so a run resumes with any.
      row("ranks", &O::ranks, 1, "data-parallel MPI ranks of a training; batch_size (the global batch) splits evenly over them",
          config::int_range(1, 4096))
          .run()
          .since(Since::runs)
          .fits([](const O& o) -> std::optional<std::string> {
            if (o.batch_size % o.ranks == 0) return std::nullopt;
            return "batch_size " + std::to_string(o.batch_size) + " does not split evenly over " + std::to_string(o.ranks) +
                   " ranks: make it a multiple of the rank count";
          }),
      row("precision", &O::precision, "float32", "float32, or bfloat16: the network's forward under autocast",
          config::one_of({"float32", "bfloat16"}))
          .training()
          .since(Since::runs),
      row("deterministic", &O::deterministic, true, "CUDA: repeatable kernels, no TF32 (false: faster, not repeatable)")
          .run()
          .since(Since::runs),
      row("channels_last", &O::channels_last, false, "UNet activations in NHWC (faster convolutions on GPUs)")
          .unet()
          .training()
          .since(Since::runs)
          .fits(unet_only([](const O& o) { return o.channels_last; }, "channels_last is a UNet memory layout: arch unet")),
      // One key for a GPU user's speed (docs/gpu.md): for_device() sets the three above from it.
      row("performance", &O::performance, "deterministic",
          "deterministic (repeatable; precision, deterministic and channels_last as set) or fast (per device: "
          "CUDA bfloat16, TF32, cuDNN benchmark, channels-last; the CPU float32)",
          config::one_of({"deterministic", "fast"}))
          .training()
          .since(Since::runs)
          .fits([](const O& o) -> std::optional<std::string> {
            if (o.performance != "fast" || (o.precision == "float32" && o.deterministic && !o.channels_last))
              return std::nullopt;
            return "performance fast chooses precision, deterministic and channels_last per device: leave those at "
                   "their defaults (or use performance deterministic)";
          }),
      row("ardm_prediction", &O::ardm_prediction, "v", "ARDM: what the network predicts, eps or v", config::one_of({"eps", "v"}))
          .unet()
          .diffusion(),
      row("ardm_train_steps", &O::ardm_train_steps, 1000, "ARDM: discretisation of the diffusion time in training",
          config::at_least(1))
          .unet()
          .diffusion(),
  };
}

}  // namespace

const std::vector<ModelSetting>& model_settings() {
  static const std::vector<ModelSetting> settings = make_settings();
  return settings;
}

TrainOptions::TrainOptions() {
  for (const auto& s : model_settings()) s.set(*this, s.fallback);
}

bool ModelSetting::read_by(const ModelKind& m) const {
  return reads == Reads::all || (reads == Reads::labels && m.labels) || (reads == Reads::diffusion && m.diffusion);
}

bool ModelSetting::on(const std::string& arch_name) const {
  return arch == Arch::any || (arch == Arch::mlp) == (arch_name == "mlp");
}

std::string to_text(const SettingValue& v) {
  struct Text {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      std::ostringstream s;
      s << std::setprecision(17) << d;
      return s.str();
    }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const std::vector<int64_t>& v) const {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
      return s + "]";
    }
  };
  return std::visit(Text{}, v);
}

TrainOptions parse_train(config::Section& s) {
  TrainOptions o;
  o.models = s.get("models", o.models, config::Check<std::vector<std::string>>([](const std::vector<std::string>& v) {
                     for (size_t i = 0; i < v.size(); ++i) {
                       if (auto bad = unknown_model(v[i])) return bad;
                       if (std::find(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v[i]) != v.begin() + static_cast<std::ptrdiff_t>(i))
                         return std::optional<std::string>("model '" + v[i] + "' is listed twice (each model is trained once)");
                     }
                     if (v.empty()) return std::optional<std::string>("at least one model is needed");
                     return std::optional<std::string>();
                   }));
  for (const auto& setting : model_settings()) setting.parse(s, o);
  s.finish();
  return o;
}

std::vector<std::string> unhashed_train_keys(const TrainOptions& o, const std::string& model) {
  std::vector<std::string> keys{"models"};  // adding a model to the list must not retrain the others
  const ModelKind& kind = model_kind(model);
  for (const auto& s : model_settings())
    if (!s.read_by(kind) || (s.since == ModelSetting::Since::runs && s.at_default(o))) keys.push_back(s.key);
  return keys;
}

std::string training_identity(const TrainOptions& o, const std::string& model) {
  const ModelKind& kind = model_kind(model);
  std::string id = "model=" + model;
  for (const auto& s : model_settings()) {
    if (s.effect == ModelSetting::Effect::run || !s.read_by(kind) || !s.on(o.arch)) continue;
    if (s.since != ModelSetting::Since::start && s.at_default(o)) continue;
    id += "|" + s.key + "=" + to_text(s.get(o));
  }
  return id;
}

TrainOptions for_device(const TrainOptions& o, bool cuda) {
  if (o.performance != "fast" || !cuda) return o;
  TrainOptions r = o;
  r.precision = "bfloat16";
  r.deterministic = false;
  r.channels_last = o.arch == "unet";
  return r;
}

std::vector<std::string> unhashed_sample_keys(const SampleOptions& o) {
  const SampleOptions defaults;
  std::vector<std::string> keys;
  if (o.device == defaults.device) keys.push_back("device");
  if (o.precision == defaults.precision) keys.push_back("precision");
  if (o.threads == defaults.threads) keys.push_back("threads");
  return keys;
}

SampleOptions parse_sample(config::Section& s) {
  SampleOptions o;
  o.n_trajectories = s.get("n_trajectories", o.n_trajectories, config::at_least(0));
  o.batch_size = s.get("batch_size", o.batch_size, config::at_least(1));
  o.device = s.get("device", o.device, config::one_of({"auto", "cpu", "cuda"}));
  o.precision = s.get("precision", o.precision, config::one_of({"float32", "bfloat16"}));
  o.ardm_steps = s.get("ardm_steps", o.ardm_steps, config::Check<std::vector<int64_t>>([](const std::vector<int64_t>& v) {
                         for (auto k : v)
                           if (k < 1) return std::optional<std::string>("diffusion steps must be >= 1");
                         return std::optional<std::string>();
                       }));
  o.threads = s.get("threads", o.threads, config::int_range(0, machine::max_threads()));
  s.finish();
  return o;
}

int64_t sample_threads(const SampleOptions& sample, const TrainOptions& train, int64_t process) {
  if (sample.threads > 0) return sample.threads;
  return train.threads > 0 ? train.threads : process;
}

}  // namespace slift::learner
