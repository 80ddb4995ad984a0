// The networks (MLP for states, UNet for fields) and the model file (LibTorch side of the
// learner; only learner/*.cpp include this).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "learner/conditioning.hpp"
#include "learner/options.hpp"
#include "learner/transitions.hpp"
#include "learner/unet.hpp"

namespace slift::learner {

// What rebuilds the network and maps its input and output to states: the model, its settings
// (learner/options.hpp; those it does not read stay at their defaults) and the data's shape.
struct ModelSpec {
  std::string model = "sl";  // a row of model_kinds()
  TrainOptions options;
  int64_t dim = 0;              // values per state; fields: the product of the grid's sizes
  std::vector<int64_t> grid;    // fields: the sizes of the spatial axes (1, 2 or 3)
  std::vector<bool> periodic;   // fields: per axis, whether the convolutions wrap around

  const ModelKind& kind() const { return model_kind(model); }
  int64_t label_dim() const { return kind().labels ? options.label_dim : 0; }  // 0: no label input
  int64_t window() const { return options.window; }
  bool unet() const { return options.arch == "unet"; }
  bool direct() const { return options.target == "final"; }
  bool extrapolate() const { return options.output == "extrapolation"; }
  int64_t input_size() const { return network_input(model, options).values(dim); }  // MLP
  UNetSpec unet_spec() const;
};

// x w^T + b. On the CPU in float32 it runs as oneDNN's inner product (ATen's mkldnn_linear, which
// has a backward): Debian's OpenBLAS does not recognise recent Xeons and falls back to a slow
// generic kernel, which nn::Linear would use (bench/learner/RESULTS.md: 2.6x the training
// throughput). Same values up to float rounding; elsewhere (CUDA, other types) the plain product.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);

// depth hidden layers of `width` with the activation, then a linear layer to dim outputs.
struct MlpImpl : torch::nn::Module {
  explicit MlpImpl(const ModelSpec& spec);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Sequential layers;             // the parameters, named as in every model file
  std::vector<torch::nn::Linear> linears;   // the same layers, for `linear` above
  std::vector<torch::nn::AnyModule> activations;
};
TORCH_MODULE(Mlp);

// The network of a model on flat rows, hiding MLP vs UNet: x is b x (channels x dim), normalised
// frames oldest first (ARDM: the noisy increment appended as the last channel); cond is the
// label (SL), the time embedding (ARDM) or undefined / zero-wide (none). Returns b x dim.
// The output is float32 whatever autocast computed it in.
struct Net {
  Net() = default;
  explicit Net(const ModelSpec& spec);
  std::shared_ptr<torch::nn::Module> module() const;  // parameters, save/load, to(), train/eval
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cond);
  // UNet: weights and activations in NHWC (channels last; 3-D grids NDHWC), faster convolutions
  // on GPUs. 1-D grids have no such layout: nothing changes.
  void use_channels_last();
  Mlp mlp{nullptr};
  UNet unet{nullptr};
  std::vector<int64_t> grid;
  bool channels_last = false;
};

// A trained model as stored on disk.
struct LoadedModel {
  ModelSpec spec;
  Normalisation norm;
  StaticNormalisation static_norm;  // of spec.options.condition_on (learner/static_channels.hpp)
  Net net;
  uint64_t seed = 0;            // training seed: keys the training labels
  std::string config_yaml;
  std::vector<float> losses;    // training loss per step
};

void save_model(const std::string& path, LoadedModel& m);  // atomic: temp file, then rename
// Writes an archive and its checksum under a temporary name (creating parent directories), then
// renames it.
void save_archive_atomic(torch::serialize::OutputArchive& a, const std::string& path);
// A model or checkpoint file that is not what slift wrote (checksum, truncation, records): a usage
// error naming the file; a checkpoint is set aside, a model must be retrained.
struct DamagedFile : Error {
  explicit DamagedFile(const std::string& message) : Error(ExitCode::usage, message) {}
};
// The archive `save_archive_atomic` wrote, its checksum verified; DamagedFile ("<path>: damaged
// <what> (why)") otherwise. A file without a checksum (older than checksums) is read when not
// `sealed`.
torch::serialize::InputArchive load_archive(const std::string& path, const std::string& what,
                                            c10::optional<torch::Device> device = c10::nullopt, bool sealed = false);
LoadedModel load_model(const std::string& path);  // DamagedFile for a damaged one

// LibTorch threads: `requested`, or 0 for the process's OpenMP threads (--threads, OMP_NUM_THREADS
// or the cores); on the CPU OpenBLAS's threads too.
void setup_threads(int64_t requested = 0, const torch::Device& device = torch::kCPU);
// "auto": CUDA when available, else the CPU; "cuda" without a GPU is a usage error.
torch::Device pick_device(const std::string& name);

// Where and how a network runs (train.device / precision / deterministic, sample.device / precision).
struct Execution {
  torch::Device device{torch::kCPU};
  std::optional<torch::ScalarType> autocast;  // bfloat16, or none: float32 throughout
};
// Picks the device, sets the threads and, on CUDA, the kernels: deterministic (no TF32, cuDNN's
// deterministic algorithms, cuBLAS's fixed workspace) or cuDNN's benchmark mode with TF32.
Execution setup_execution(const std::string& device, const std::string& precision, int64_t threads = 0,
                          bool deterministic = true);

// Autocast on the execution's device for this object's lifetime (float32: nothing changes).
class Autocast {
 public:
  explicit Autocast(const Execution& e);
  ~Autocast();
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  c10::DeviceType type_;
  bool active_ = false, was_enabled_ = false;
  torch::ScalarType was_dtype_ = torch::kFloat32;
};

// Waits for the device's queued work (CUDA), so that a timer reads the work's end.
void synchronize(const torch::Device& device);
// CUDA: the most memory LibTorch's allocator held for tensors since setup_execution (or the last
// reset_peak_memory); CPU: 0.
int64_t peak_memory_bytes(const torch::Device& device);
void reset_peak_memory(const torch::Device& device);
// CUDA: the memory LibTorch's allocator holds for tensors now; CPU: 0.
int64_t allocated_memory_bytes(const torch::Device& device);
// CUDA: what tensors could still take: the device's free memory and what the allocator holds
// unused; CPU: 0.
int64_t free_memory_bytes(const torch::Device& device);

// What the network's output is added to (raw or normalised windows alike, b x window x dim
// flattened): the newest frame, or 2 x_t - x_{t-1} for output extrapolation.
torch::Tensor prediction_base(const ModelSpec& spec, const torch::Tensor& windows);
// Normalised network input from raw windows (b x window x dim, flattened).
torch::Tensor normalise_windows(const ModelSpec& spec, const Normalisation& norm, const torch::Tensor& windows);

torch::Tensor to_tensor(const std::vector<float>& v, std::vector<int64_t> shape);

}  // namespace slift::learner
