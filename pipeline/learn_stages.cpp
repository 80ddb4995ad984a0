#include "pipeline/learn_stages.hpp"

#include <omp.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "pipeline/learner_plugin.hpp"

namespace slift::pipeline {

void train_stage(const Experiment& e, const std::string& model) {
  const std::string dir = e.output_dir + "/models/";
  learner::TrainResult r = learner_api().train(model, e.train, data_path(e, "train"), split_seed(e.seed, "model." + model),
                                                dir + model + ".pt", dir + model + ".ckpt", e.config.resolved_yaml());
  // A model whose loss is not clearly below that of predicting the mean target learned nothing
  // (a diverged training ends there): said now and recorded, so the report shows it.
  constexpr double kMustBeat = 0.9;
  nlohmann::json warning;
  if (!(r.final_loss < kMustBeat * r.mean_predictor_loss)) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "train %s: final loss %.3g is not below %.0f%% of predicting the mean target (%.3g): the model "
                  "learned nothing (diverged? check train.lr = %g)",
                  model.c_str(), r.final_loss, 100 * kMustBeat, r.mean_predictor_loss, e.train.lr);
    warning = text;
    log::warn(text);
  }
  write_file_atomic(dir + model + ".json", nlohmann::json{{"model", model},
                                     {"final_loss", r.final_loss},
                                     {"mean_predictor_loss", r.mean_predictor_loss},
                                     {"warning", warning},
                                     {"seconds", r.seconds},
                                     {"samples_per_second", r.samples_per_second},
                                     {"steps", r.steps},
                                     {"parameters", r.parameters},
                                     {"device", r.device},
                                     {"precision", e.train.precision},
                                     {"peak_memory_bytes", r.peak_memory_bytes},
                                     {"label_gradient_norm", learner_api().gradient_norm(dir + model + ".pt",
                                                                                          data_path(e, "train"), 1000,
                                                                                          split_seed(e.seed, "gradnorm"),
                                                                                          e.train.device)}}
                                        .dump(2));
}

void sample_stage(const Experiment& e, const SampleSet& set) {
  const std::string out = e.output_dir + "/samples/" + set.name + ".h5";
  learner::SampleResult r = learner_api().sample(e.output_dir + "/models/" + set.model + ".pt", e.sample,
                                                  data_path(e, "test"), split_seed(e.seed, "sample." + set.name), out,
                                                  set.ardm_steps);
  write_file_atomic(e.output_dir + "/samples/" + set.name + ".json", nlohmann::json{{"name", set.name},
                                                               {"n_trajectories", r.n_trajectories},
                                                               {"nfe_per_step", r.nfe_per_step},
                                                               {"seconds", r.seconds},
                                                               {"seconds_per_trajectory", r.seconds_per_trajectory},
                                                               {"threads", omp_get_max_threads()},
                                                               {"device", r.device},
                                                               {"precision", e.sample.precision},
                                                               {"batch_size", r.batch_size},
                                                               {"peak_memory_bytes", r.peak_memory_bytes}}
                                                                  .dump(2));
}

void check_devices(const Experiment& e) {
  for (const auto& [key, device] : {std::pair<std::string, std::string>{"train.device", e.train.device},
                                    std::pair<std::string, std::string>{"sample.device", e.sample.device}})
    if (device == "cuda" && !learner_api().has_cuda())
      usage_error("config error: " + e.config.file() + ": " + key +
                  ": cuda, but no CUDA device is usable here (no GPU, or a CPU-only LibTorch build); use auto or cpu");
}

std::vector<float> one_step_model_samples(const std::string& model_path, const std::vector<float>& states,
                                          int64_t n_states, int64_t n, uint64_t seed) {
  return learner_api().one_step(model_path, states, n_states, n, seed);
}

}  // namespace slift::pipeline
