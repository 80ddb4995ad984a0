// Options of training and sampling, parsed from the `train` and `sample` sections (the `evaluate`
// section: metrics/evaluate_options.hpp). Torch-free, so configs are checked even in a build
// without the learner.
#pragma once
#include <cstdint>
#include <functional>
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

// A model's settings (the `train` section). Every field but `models` and `stop_after` is one row
// of model_settings() below, which gives its key, default, check and doc and says where it counts;
// the constructor sets the defaults from there.
struct TrainOptions {
  TrainOptions();
  std::vector<std::string> models{"sl", "deterministic"};  // the experiment's models, each trained on its own
  std::string arch;
  int64_t width, depth;                 // MLP
  std::string activation;
  std::vector<int64_t> unet_widths;     // UNet
  int64_t unet_blocks, embed_dim;
  std::string conditioning;
  int64_t label_dim;                    // Stochastic Lifting
  int64_t window;
  double shuffle_fraction;
  std::string target, output;
  bool label_channels;
  int64_t iterations, batch_size, warmup, checkpoint_every, log_every;  // optimisation
  double lr, weight_decay, grad_clip;
  std::string device;
  int64_t threads;
  int64_t ranks;                        // data-parallel MPI ranks (learner/distributed.hpp)
  std::string precision;
  bool deterministic, channels_last;
  std::string performance;              // deterministic (the keys above as set) or fast (resolved per device)
  std::string ardm_prediction;          // ARDM baseline
  int64_t ardm_train_steps;
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
  // Reads the key from the section with its default and check into the options, then checks it
  // against the settings read before it (one line naming the key and the file, exit code 2).
  std::function<void(config::Section&, TrainOptions&)> parse;
  std::function<SettingValue(const TrainOptions&)> get;
  std::function<void(TrainOptions&, const SettingValue&)> set;

  bool read_by(const ModelKind& m) const;
  bool on(const std::string& arch_name) const;  // read by this network
  bool at_default(const TrainOptions& o) const { return get(o) == fallback; }
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
SampleOptions parse_sample(config::Section& s);
// The threads a sample stage runs on: sample.threads, else train.threads, else `process` (the
// command's --threads, OMP_NUM_THREADS or every core).
int64_t sample_threads(const SampleOptions& sample, const TrainOptions& train, int64_t process);

}  // namespace slift::learner
