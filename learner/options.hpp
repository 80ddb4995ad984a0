// Options of training and sampling, parsed from the `train` and `sample` sections (the `evaluate`
// section: metrics/evaluate_options.hpp). Torch-free, so configs are checked even in a build
// without the learner.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/config.hpp"

namespace slift::learner {

// The models the learner trains: one row each (learner/models.cpp implements them).
struct ModelKind {
  std::string name;
  bool labels = false;     // reads a Gaussian label z (Stochastic Lifting): the label settings apply
  bool diffusion = false;  // samples its increment by diffusion (ARDM): needs arch unet, the diffusion settings apply
};
const std::vector<ModelKind>& model_kinds();
// The row of `name`; a usage error naming the known models otherwise.
const ModelKind& model_kind(const std::string& name);

// A model's settings (the `train` section): one field per row of learner/train_settings.def, the
// table that declares each setting once (type, key, default, range, traits, doc) and from which
// model_settings() below is made too. `models`, `stop_after` and `state_field` are not rows.
//
// Why a table read twice (an X-macro): C++17 cannot enumerate a struct's fields, so one list must
// be written out and the other made from it. Two hand-kept lists (a field, and its row giving key,
// default and check) drift apart, and the default sat in one and the type in the other. A map of
// values instead of fields would turn every `o.width` of the learner into a string look-up checked
// only at run time; a generator run by the build would be a second language and a build step. The
// .def file is plain C++ arguments, one row per setting, read by the compiler once for the fields
// (here) and once for the rows (options.cpp); the key is the field's name, spelt once.
struct TrainOptions {
  std::vector<std::string> models{"sl", "deterministic"};  // the experiment's models, each trained on its own
#define SLIFT_SETTING(type, key, fallback, ...) type key = fallback;
#include "learner/train_settings.def"
#undef SLIFT_SETTING
  // Not a config key: stop this run after this step (0: never), leaving a checkpoint to resume
  // from and no model file (tests; jobs with a time limit).
  int64_t stop_after = 0;
  // Not a config key of `train`: the learned field that a config's data.state_field names ("": the
  // data file's own choice, DatasetReader::state_field). The model file stores it, so sampling
  // and the probes read the field the model learned.
  std::string state_field;
  // Not a config key of `train` either: the static fields of data.condition_on, input channels of
  // the UNet beside the window (learner/conditioning.hpp). The model file stores them.
  std::vector<std::string> condition_on;
};

// What the network of `model` reads per example besides its conditioning, counted once for the
// learner that builds it and the cost model (pipeline/estimate.cpp) that counts it: the state's
// frames (the Markov window; the diffusion's noisy increment as one more) and the label values read
// as input (the MLP's label, appended to its row; the UNet's label channels, not FiLM's label),
// and the UNet's static fields conditioned on (data.condition_on: fields only, so no MLP input).
struct NetworkInput {
  int64_t frames = 0, statics = 0, labels = 0;
  int64_t values(int64_t dim) const { return frames * dim + labels; }  // MLP: its input row, for states of dim values
  int64_t channels() const { return frames + statics + labels; }       // UNet: its stem's input channels
};
NetworkInput network_input(const std::string& model, const TrainOptions& o);

// A setting's value as the table compares, hashes and stores it.
using SettingValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>>;
std::string to_text(const SettingValue& v);

// One setting of a model. Where it counts follows from four traits:
//   arch      the network that reads it (any, mlp, unet); the model file stores it for that network;
//   reads     the models that read it (all, those with labels, the diffusion); a model's stage
//             hashes, and its model file stores, only what it reads;
//   effect    network: rebuilds the network or its training transitions (model file and checkpoint
//             identity); training: changes what training computes (checkpoint identity);
//             run: how it runs (stage hash only);
//   since     start: known from the first runs on; model_files: came after model files and
//             checkpoints existed (older files lack it; any entry a model file lacks loads as its
//             default), so the checkpoint identity has it only away from its default; runs: came after runs
//             existed, so that the stage hash too has it only away from its default (an upgraded
//             slift neither retrains nor resamples a finished run).
struct ModelSetting {
  enum class Arch { any, mlp, unet };
  enum class Reads { all, labels, diffusion };
  enum class Effect { network, training, run };
  enum class Since { start, model_files, runs };
  std::string key, doc;
  SettingValue fallback;  // the default
  Arch arch = Arch::any;
  Reads reads = Reads::all;
  Effect effect = Effect::network;
  Since since = Since::start;
  std::function<SettingValue(const TrainOptions&)> get;
  std::function<void(TrainOptions&, const SettingValue&)> set;
  // The value's range, and its fit with the settings read before it: an error text, or nothing.
  std::function<std::optional<std::string>(const SettingValue&)> range;
  std::function<std::optional<std::string>(const TrainOptions&)> fits;
  // The key's value in the section, or the default; checked against the range.
  std::function<SettingValue(config::Section&)> read;

  // Reads the key from the section into the options and checks it (range, then fit): one line
  // naming the key and the file, exit code 2.
  void parse(config::Section& s, TrainOptions& o) const;

  bool read_by(const ModelKind& m) const;
  bool on(const std::string& arch_name) const;  // read by this network
  bool at_default(const TrainOptions& o) const { return get(o) == fallback; }
  // What is wrong with this setting in `o` (its range, then its fit), as a config says it.
  std::optional<std::string> error(const TrainOptions& o) const;
};
const std::vector<ModelSetting>& model_settings();

// The train section's keys that one model's stage does not hash: the model list, the keys the
// model does not read and those that came after runs existed and are at their defaults.
std::vector<std::string> unhashed_train_keys(const TrainOptions& o, const std::string& model);
// Everything that changes the result of training `model` with these options (model, seed and data
// aside), as text: a checkpoint is resumed only when this matches.
std::string training_identity(const TrainOptions& o, const std::string& model);

// The options a training runs with on its device: `performance: fast` resolved there (CUDA:
// bfloat16, TF32 and cuDNN's benchmark mode, channels-last for the UNet; the CPU: float32, as
// bf16 there is no faster with Debian's LibTorch 1.13 and emulated without avx512_bf16/amx_bf16);
// `deterministic`: the options as they are.
TrainOptions for_device(const TrainOptions& o, bool cuda);

struct SampleOptions {
  int64_t n_trajectories = 0;        // 0: as many as the test set
  int64_t batch_size = 1024;         // rollouts advanced together (CUDA: halved while out of memory)
  std::string device = "auto";       // auto | cpu | cuda
  std::string precision = "float32"; // float32 | bfloat16 (the network's forward under autocast)
  std::vector<int64_t> ardm_steps{40};
  // CPU threads of sampling, set by the stage itself (not inherited from what ran before in the
  // process); 0: as train.threads, the same network on the same cores (sample_threads()).
  int64_t threads = 0;
};

// The sample section's keys its stages do not hash: those that came after runs existed (how the
// learner runs on a device), while at their defaults.
std::vector<std::string> unhashed_sample_keys(const SampleOptions& o);

TrainOptions parse_train(config::Section& s);
// The first setting of `o` that a config could not have when training `model` ("train.<key>:
// <why>", the text of the config's error after its location), or nothing: the checks of the
// table, for options that come from elsewhere than a config (the learner's API, a model file).
std::optional<std::string> settings_error(const TrainOptions& o, const std::string& model);
SampleOptions parse_sample(config::Section& s);
// The threads a sample stage runs on: sample.threads, else train.threads, else `process` (the
// command's --threads, OMP_NUM_THREADS or every core).
int64_t sample_threads(const SampleOptions& sample, const TrainOptions& train, int64_t process);

}  // namespace slift::learner
