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
using Since = ModelSetting::Since;
using Fit = std::optional<std::string> (*)(const O&);

bool trains_diffusion(const O& o) {
  return std::any_of(o.models.begin(), o.models.end(), [](const std::string& m) { return model_kind(m).diffusion; });
}

// ---- the checks of learner/train_settings.def that its rows name ----

std::optional<std::string> unet_levels(const std::vector<int64_t>& v) {
  if (v.empty()) return "at least one level is needed";
  for (auto w : v)
    if (w < 8 || w % 8) return "widths must be multiples of 8 (GroupNorm(8))";
  return std::nullopt;
}

std::optional<std::string> diffusion_needs_unet(const O& o) {
  for (const auto& m : o.models)
    if (model_kind(m).diffusion && o.arch != "unet") return m + " needs arch unet";
  return std::nullopt;
}

std::optional<std::string> even_time_embedding(const O& o) {
  if (o.arch != "unet" || o.embed_dim % 2 == 0 || !trains_diffusion(o)) return std::nullopt;
  return "the diffusion model's time embedding needs an even embed_dim";
}

std::optional<std::string> final_target_fits(const O& o) {
  if (o.target != "final") return std::nullopt;
  if (o.arch != "unet") return "target final (the direct initial-to-final map) is for fields: it needs arch unet";
  for (const auto& m : o.models)
    if (model_kind(m).diffusion)
      return "target final trains " + joined(model_names([](const ModelKind& k) { return !k.diffusion; }), " and ") +
             " only (drop " + m + " from train.models)";
  return std::nullopt;
}

std::optional<std::string> extrapolation_fits(const O& o) {
  if (o.output != "extrapolation") return std::nullopt;
  if (o.arch != "unet") return "output extrapolation is for fields: it needs arch unet";
  if (o.window < 2) return "output extrapolation needs the last two frames: window >= 2";
  return std::nullopt;
}

std::optional<std::string> label_channels_need_unet(const O& o) {
  if (!o.label_channels || o.arch == "unet") return std::nullopt;
  return "label channels are UNet input channels: arch unet";
}

std::optional<std::string> channels_last_needs_unet(const O& o) {
  if (!o.channels_last || o.arch == "unet") return std::nullopt;
  return "channels_last is a UNet memory layout: arch unet";
}

std::optional<std::string> ranks_split_the_batch(const O& o) {
  if (o.batch_size % o.ranks == 0) return std::nullopt;
  return "batch_size " + std::to_string(o.batch_size) + " does not split evenly over " + std::to_string(o.ranks) +
         " ranks: make it a multiple of the rank count";
}

std::optional<std::string> fast_leaves_its_keys(const O& o) {
  if (o.performance != "fast" || (o.precision == "float32" && o.deterministic && !o.channels_last)) return std::nullopt;
  return "performance fast chooses precision, deterministic and channels_last per device: leave those at their "
         "defaults (or use performance deterministic)";
}

// ---- the rows ----

// A row under construction, its traits set by name.
struct Row {
  ModelSetting s;
  Row& mlp() { return s.arch = ModelSetting::Arch::mlp, *this; }
  Row& unet() { return s.arch = ModelSetting::Arch::unet, *this; }
  Row& labels() { return s.reads = ModelSetting::Reads::labels, *this; }
  Row& diffusion() { return s.reads = ModelSetting::Reads::diffusion, *this; }
  Row& training() { return s.effect = ModelSetting::Effect::training, *this; }
  Row& run() { return s.effect = ModelSetting::Effect::run, *this; }
  Row& since(Since when) { return s.since = when, *this; }
  Row& fits(Fit f) { return s.fits = f, *this; }
  operator ModelSetting() const { return s; }
};

// The row of field `key` (type T) with its default, range and doc: got, set and read as a T.
template <class T>
Row setting(const std::string& key, T O::*field, const T& fallback, const config::Check<T>& range, const std::string& doc) {
  Row r;
  r.s.key = key, r.s.doc = doc, r.s.fallback = fallback;
  r.s.get = [field](const O& o) { return SettingValue(o.*field); };
  r.s.set = [field](O& o, const SettingValue& v) { o.*field = std::get<T>(v); };
  r.s.range = [range](const SettingValue& v) { return range ? range(std::get<T>(v)) : std::nullopt; };
  r.s.fits = [](const O&) { return std::optional<std::string>(); };
  r.s.read = [key, fallback, range](config::Section& sec) { return SettingValue(sec.get<T>(key, fallback, range)); };
  return r;
}

std::vector<ModelSetting> make_settings() {
  return {
#define SLIFT_SETTING(type, key, fallback, range, traits, doc) setting<type>(#key, &O::key, fallback, range, doc) traits,
#include "learner/train_settings.def"
#undef SLIFT_SETTING
  };
}

}  // namespace

const std::vector<ModelSetting>& model_settings() {
  static const std::vector<ModelSetting> settings = make_settings();
  return settings;
}

bool ModelSetting::read_by(const ModelKind& m) const {
  return reads == Reads::all || (reads == Reads::labels && m.labels) || (reads == Reads::diffusion && m.diffusion);
}

bool ModelSetting::on(const std::string& arch_name) const {
  return arch == Arch::any || (arch == Arch::mlp) == (arch_name == "mlp");
}

void ModelSetting::parse(config::Section& s, TrainOptions& o) const {
  set(o, read(s));
  if (auto bad = fits(o)) s.fail(key, *bad);
}

std::optional<std::string> ModelSetting::error(const TrainOptions& o) const {
  if (auto bad = range(get(o))) return bad;
  return fits(o);
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

std::optional<std::string> settings_error(const TrainOptions& o, const std::string& model) {
  TrainOptions trained = o;
  trained.models = {model_kind(model).name};
  for (const auto& s : model_settings())
    if (auto bad = s.error(trained)) return "train." + s.key + ": " + *bad;
  return std::nullopt;
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

NetworkInput network_input(const std::string& model, const TrainOptions& o) {
  const ModelKind& kind = model_kind(model);
  NetworkInput in;
  in.frames = kind.diffusion ? o.window + 1 : o.window;
  in.statics = static_cast<int64_t>(o.condition_on.size());
  if (kind.labels && (o.arch != "unet" || o.label_channels)) in.labels = o.label_dim;
  return in;
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
