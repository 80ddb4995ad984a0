// The learner's interface to the pipeline: train a model on a dataset file, roll it out, and
// the probes the evaluation needs. Everything meets through files (datasets and model files),
// so the pipeline never sees LibTorch types.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "learner/options.hpp"

namespace slift::learner {

// What a training returns; the train stage adds its part and records it whole as
// models/<model>.json (pipeline/analysis/records.hpp).
struct TrainResult {
  std::string model;              // the model trained
  double final_loss = 0;          // mean training loss over the last 1% of steps (at least 10)
  double mean_predictor_loss = 0; // over the same steps: the loss of predicting each batch's mean target
  double seconds = 0;             // training time, every segment of a resumed run included
  double samples_per_second = 0;  // transitions per second (of this segment)
  int64_t steps = 0;
  int64_t parameters = 0;
  std::string device;             // where it ran: cpu, cuda
  std::string precision;          // what it ran in: float32, bfloat16 (train.performance resolved)
  int64_t peak_memory_bytes = 0;  // CUDA: the most tensor memory held (0 on the CPU)
  int64_t graph_steps = 0;        // steps of this segment replayed from a CUDA graph (docs/gpu.md)
  // The train stage's: why the model learned nothing ("" when it did), and the label-gradient probe.
  std::string warning;
  double label_gradient_norm = 0;
};

// Whether LibTorch sees a usable CUDA device (a CPU-only LibTorch: never), and how many.
bool cuda_available();
int64_t cuda_device_count();

// Trains `model` (a name in model_kinds(): sl, deterministic, ardm) on the training dataset and
// writes the model file atomically (weights + settings + normalisation + config text). A "states"
// dataset needs arch mlp, a "fields" dataset arch unet (its time-varying t0 field is learned); the
// diffusion model (ardm) needs unet. Checkpoints go to
// `checkpoint_path` every options.checkpoint_every steps; an existing checkpoint of the same
// run is resumed exactly. `seed` keys labels, minibatches and initialisation.
TrainResult train_model(const std::string& model, const TrainOptions& options, const std::string& train_data,
                        uint64_t seed, const std::string& model_path, const std::string& checkpoint_path,
                        const std::string& config_yaml);

// What a sampling returns; the sample stage names it and records it as samples/<set>.json
// (pipeline/analysis/records.hpp).
struct SampleResult {
  std::string name;               // the sample stage's: the sample set
  int64_t n_trajectories = 0;
  double nfe_per_step = 0;        // network evaluations per generated step
  double seconds = 0;
  double seconds_per_trajectory = 0;
  double rollout_seconds = 0;     // of `seconds`, those in the rollouts (no start-up, no file writing)
  int64_t frames = 0;             // frames generated per trajectory
  std::string device;             // where it ran: cpu, cuda
  std::string precision;          // what it ran in: float32, bfloat16
  int64_t threads = 1;            // CPU threads it was given (sample.threads; 0: the process's)
  int64_t batch_size = 0;         // rollouts advanced together (CUDA: after any halving for memory)
  int64_t max_batch_size = 0;     // sample.batch_size, or on CUDA the most rollouts its free memory holds, if fewer
  int64_t peak_memory_bytes = 0;  // CUDA: the most tensor memory held (0 on the CPU)
};

// Rolls the model out from the initial states of `init_data` (the test set; trajectory i starts
// from test trajectory i mod n_test) for as many steps as that set has, with a fresh label every
// step, in batches; writes a dataset in the same layout (atomically; fields: the learned array
// only). ardm_steps: K for ARDM (K network evaluations per frame), 0 for the one-step models.
SampleResult sample_model(const std::string& model_path, const SampleOptions& options, const std::string& init_data,
                          uint64_t seed, const std::string& out_path, int64_t ardm_steps = 0);

// One-step samples at given states (conditional check, states models only): states is
// n_states x (window x dim) flattened, oldest first; returns n_states x n_samples x dim.
std::vector<float> one_step_samples(const std::string& model_path, const std::vector<float>& states, int64_t n_states,
                                    int64_t n_samples, uint64_t seed);

// Mean Frobenius norm of d f / d z at up to n_points training inputs with their training labels
// (paper figure 2, right). 0 for a model without labels. Fields: at most 64 points, the norm
// estimated from 8 random projections of the output (Hutchinson). On `device` (auto | cpu | cuda).
double label_gradient_norm(const std::string& model_path, const std::string& train_data, int64_t n_points, uint64_t seed,
                           const std::string& device);

}  // namespace slift::learner
