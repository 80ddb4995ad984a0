// Options of training, sampling and evaluation, parsed from the `train`, `sample` and `evaluate`
// sections. Torch-free, so configs are checked even in a build without the learner.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace slift::learner {

struct TrainOptions {
  std::vector<std::string> models{"sl", "deterministic"};  // sl | deterministic | ardm
  std::string arch = "mlp";          // mlp (states) | unet (fields)
  // MLP
  int64_t width = 512, depth = 3;
  std::string activation = "silu";   // silu | relu | gelu | tanh
  // UNet
  std::vector<int64_t> unet_widths{32, 64, 128};
  int64_t unet_blocks = 1, embed_dim = 256;
  std::string conditioning = "film"; // film | shift
  // Stochastic Lifting
  int64_t label_dim = 64;
  int64_t window = 1;                // Markov window: number of past states in the input
  double shuffle_fraction = 0.0;     // share of training trajectories whose pairing is broken
  // What a transition maps to: `next` (frame t -> frame t + 1, rolled out frame by frame) or
  // `final` (the direct map, paper figure 4 right: frame 0 -> the last frame, one transition
  // per trajectory, sampled in one evaluation; fields only, sl and deterministic only).
  std::string target = "next";       // next | final
  // Fields: what the network's output adds to. `increment`: the newest frame (x_{t+1} = x_t + s f);
  // `extrapolation`: the linear extrapolation of the last two frames (x_{t+1} = 2 x_t - x_{t-1}
  // + s f), so that a wave's travel is built in and the network learns the correction (window >= 2).
  std::string output = "increment";  // increment | extrapolation
  // SL: besides FiLM, feed the label as label_dim constant input channels of the UNet.
  bool label_channels = false;
  // Optimisation
  int64_t iterations = 6000, batch_size = 1024, warmup = 100, checkpoint_every = 1000, log_every = 500;
  double lr = 1e-3, weight_decay = 1e-4, grad_clip = 0.0;
  std::string device = "auto";       // auto | cpu | cuda
  int64_t threads = 0;               // CPU threads of training; 0: the process's (--threads)
  // Data-parallel ranks (learner/distributed.hpp): `slift run` starts a training on this many
  // MPI ranks (mpirun -np ranks) and `slift submit` renders it with as many tasks; batch_size is
  // the global batch, split evenly over them. Under a launcher the launcher's count rules.
  int64_t ranks = 1;
  // bfloat16: the network's forward under autocast (weights, optimizer, loss and metrics stay float32).
  std::string precision = "float32"; // float32 | bfloat16
  // CUDA only. true: deterministic kernels, no TF32, so that a run repeats itself bit for bit;
  // false: cuDNN's benchmark mode and TF32, faster, not repeatable (docs/gpu.md).
  bool deterministic = true;
  bool channels_last = false;        // UNet activations in NHWC (faster convolutions on GPUs)
  // Not a config key: stop this run after this step (0: never), leaving a checkpoint to resume
  // from and no model file (tests; jobs with a time limit).
  int64_t stop_after = 0;
  // ARDM baseline
  std::string ardm_prediction = "v"; // eps | v
  int64_t ardm_train_steps = 1000;   // discretisation of the diffusion time in training
};

struct SampleOptions {
  int64_t n_trajectories = 0;        // 0: as many as the test set
  int64_t batch_size = 1024;         // rollouts advanced together (CUDA: halved while out of memory)
  std::string device = "auto";       // auto | cpu | cuda
  std::string precision = "float32"; // float32 | bfloat16 (the network's forward under autocast)
  std::vector<int64_t> ardm_steps{40};
};

struct EvaluateOptions {
  int64_t conditional_states = 10, conditional_samples = 1000;
  int64_t sliced_projections = 128;
  // Fields (docs/metrics.md): crossing when a normalised value of the mask exceeds the threshold;
  // mask `auto` is `edges` for periodic data (wave) and `corner` otherwise (flow).
  double crossing_threshold = 0.05;
  std::string crossing_mask = "auto";  // auto | edges | corner
  int64_t corner_size = 0;             // side of the lower-right corner mask in cells; 0: n / 8
  // Point values compared per frame: (x, y) pairs as fractions of the grid, flattened.
  std::vector<double> points{0.25, 0.25, 0.5, 0.75, 0.75, 0.5};
  // Bootstrap resamples behind the fields' standard errors (wct_se, wim_se); 0: none.
  int64_t bootstrap = 200;
};

TrainOptions parse_train(config::Section& s);
SampleOptions parse_sample(config::Section& s);
EvaluateOptions parse_evaluate(config::Section& s);

}  // namespace slift::learner
