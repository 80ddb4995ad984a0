// How long a run will take, before it runs: stated cost models, rough on purpose.
//
//   simulate: trajectories x the system's seconds per trajectory (System::core_seconds_per_trajectory:
//             step counts and grid sizes times a measured constant), budget simulate.max_core_hours;
//   train:    iterations x batch x 6 x the network's multiply-adds per example (forward 2, backward 4
//             floating-point operations each; the UNet's counted by learner/unet_spec.hpp), at a rate
//             measured for each architecture, plus a fixed cost per layer and step (what a very deep
//             MLP pays); the same FLOPs also as a GPU time at a stated throughput;
//   sample:   rollouts x frames x network evaluations x 2 x multiply-adds at the same rates;
//   evaluate: the sorts and projections of its Wasserstein distances (sliced: projections x
//             points x (dimension + 2 log2 points)), the conditional check's one-step samples of
//             the simulator and of each model, and the fields' bootstrap resamples.
// The rates were measured on a 2-core x86 machine with LibTorch on the CPU (2026-11-30): expect a
// factor of 2-3 either way there, more on other machines; a GPU trains far faster.
#pragma once
#include <string>
#include <vector>

#include "core/config.hpp"
#include "pipeline/experiment.hpp"

namespace slift::pipeline {

struct RunEstimate {
  double simulate = 0;  // core-seconds, all splits
  std::vector<std::pair<std::string, double>> train, sample;  // per model / set, core-seconds
  double evaluate = 0;  // core-seconds
  struct Flops {
    std::string model;
    double forward_per_sample = 0;  // the network's forward pass, one sample
    double per_step = 0;            // a training step: batch x 3 forwards (the backward 2x)
  };
  std::vector<Flops> train_flops;   // per model
};

RunEstimate estimate_run(const Experiment& e);
// The dry run's lines: data size, and time per stage on one core and on `threads`.
std::vector<std::string> describe_estimate(const Experiment& e, int threads);

// An MLP whose weights, optimiser state and activations exceed this machine's memory is refused
// (depth 100000 took 5 GB and made no progress).
void check_network_memory(const Experiment& e, config::Section& train);

// The evaluate section's sizes: the conditional check holds every sample of its states at once,
// within a quarter of this machine's memory (conditional_samples = 2e9 took 15 GB, then failed).
void check_evaluate_memory(const Experiment& e, config::Section& evaluate);

}  // namespace slift::pipeline
