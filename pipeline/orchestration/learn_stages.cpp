#include "pipeline/orchestration/learn_stages.hpp"

#include <omp.h>

#include <cstdio>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "pipeline/analysis/records.hpp"
#include "pipeline/learner_plugin.hpp"

namespace slift::pipeline {

void train_stage(const Experiment& e, const std::string& model) {
  const std::string dir = e.output_dir + "/models/";
  learner::TrainResult r = learner_api().train(model, e.train, data_path(e, "train"), split_seed(e.seed, "model." + model),
                                                dir + model + ".pt", dir + model + ".ckpt", e.config.resolved_yaml());
  // A model whose loss is not clearly below that of predicting the mean target learned nothing
  // (a diverged training ends there): said now and recorded, so the report shows it.
  constexpr double kMustBeat = 0.9;
  std::string warning;
  if (!(r.final_loss < kMustBeat * r.mean_predictor_loss)) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "train %s: final loss %.3g is not below %.0f%% of predicting the mean target (%.3g): the model "
                  "learned nothing (diverged? check train.lr = %g)",
                  model.c_str(), r.final_loss, 100 * kMustBeat, r.mean_predictor_loss, e.train.lr);
    warning = text;
    log::warn(text);
  }
  const double gradient_norm = learner_api().gradient_norm(dir + model + ".pt", data_path(e, "train"), 1000,
                                                           split_seed(e.seed, "gradnorm"), e.train.device);
  TrainRecord{model,  r.final_loss, r.mean_predictor_loss, warning,
              r.seconds, r.samples_per_second, r.steps, r.parameters,
              r.device, e.train.precision, r.peak_memory_bytes, gradient_norm}
      .write(dir + model + ".json");
}

void sample_stage(const Experiment& e, const SampleSet& set) {
  const std::string out = e.output_dir + "/samples/" + set.name + ".h5";
  learner::SampleResult r = learner_api().sample(e.output_dir + "/models/" + set.model + ".pt", e.sample,
                                                  data_path(e, "test"), split_seed(e.seed, "sample." + set.name), out,
                                                  set.ardm_steps);
  SampleRecord{set.name, r.n_trajectories, r.nfe_per_step, r.seconds, r.seconds_per_trajectory, omp_get_max_threads(),
               r.device, e.sample.precision, r.batch_size, r.peak_memory_bytes}
      .write(e.output_dir + "/samples/" + set.name + ".json");
}

void check_devices(const Experiment& e) {
  for (const auto& [key, device] : {std::pair<std::string, std::string>{"train.device", e.train.device},
                                    std::pair<std::string, std::string>{"sample.device", e.sample.device}})
    if (device == "cuda" && !learner_api().has_cuda())
      usage_error("config error: " + e.config.file() + ": " + key +
                  ": cuda, but no CUDA device is usable here (no GPU, or a CPU-only LibTorch build); use auto or cpu");
}

}  // namespace slift::pipeline
