// The MLP and its model file (LibTorch side of the learner; only learner/*.cpp include this).
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "learner/transitions.hpp"

namespace slift::learner {

// What rebuilds the network and maps its input and output to states.
struct ModelSpec {
  std::string model = "sl";  // sl | deterministic
  int64_t dim = 0, window = 1, label_dim = 0;  // label_dim 0: no label input
  int64_t width = 512, depth = 3;
  std::string activation = "silu";
  int64_t input_size() const { return window * dim + label_dim; }
};

// depth hidden layers of `width` with the activation, then a linear layer to dim outputs.
struct MlpImpl : torch::nn::Module {
  explicit MlpImpl(const ModelSpec& spec);
  torch::Tensor forward(const torch::Tensor& x) { return layers->forward(x); }
  torch::nn::Sequential layers;
};
TORCH_MODULE(Mlp);

// A trained model as stored on disk.
struct LoadedModel {
  ModelSpec spec;
  Normalisation norm;
  Mlp net{nullptr};
  uint64_t seed = 0;            // training seed: keys the training labels
  double shuffle_fraction = 0;  // to rebuild the training transitions
  std::string config_yaml;
  std::vector<float> losses;    // training loss per step
};

void save_model(const std::string& path, LoadedModel& m);  // atomic: temp file, then rename
// Writes an archive under a temporary name (creating parent directories), then renames it.
void save_archive_atomic(torch::serialize::OutputArchive& a, const std::string& path);
LoadedModel load_model(const std::string& path);

// Threads from OpenMP (OMP_NUM_THREADS or the cores), set once per process.
void setup_threads();
// "auto": CUDA when available, else the CPU.
torch::Device pick_device(const std::string& name);

// The network on raw states: window states (b x window x dim, flattened) and labels (b x label_dim)
// in, next states out (both normalisations applied).
torch::Tensor step(LoadedModel& m, const torch::Tensor& windows, const torch::Tensor& labels);
// Normalised network input from raw windows and labels.
torch::Tensor network_input(const ModelSpec& spec, const Normalisation& norm, const torch::Tensor& windows,
                            const torch::Tensor& labels);

torch::Tensor to_tensor(const std::vector<float>& v, std::vector<int64_t> shape);

}  // namespace slift::learner
