#include "pipeline/orchestration/learn_stages.hpp"

#include <omp.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/rng.hpp"
#include "pipeline/analysis/records.hpp"
#include "pipeline/orchestration/cluster/sbatch.hpp"
#include "pipeline/learner_plugin.hpp"

namespace slift::pipeline {

namespace {

nlohmann::json to_json(const learner::TrainResult& r) {
  return {{"final_loss", r.final_loss}, {"mean_predictor_loss", r.mean_predictor_loss},
          {"seconds", r.seconds},       {"samples_per_second", r.samples_per_second},
          {"steps", r.steps},           {"parameters", r.parameters},
          {"device", r.device},         {"peak_memory_bytes", r.peak_memory_bytes}};
}

learner::TrainResult from_json(const nlohmann::json& j) {
  learner::TrainResult r;
  r.final_loss = j.at("final_loss"), r.mean_predictor_loss = j.at("mean_predictor_loss");
  r.seconds = j.at("seconds"), r.samples_per_second = j.at("samples_per_second");
  r.steps = j.at("steps"), r.parameters = j.at("parameters");
  r.device = j.at("device"), r.peak_memory_bytes = j.at("peak_memory_bytes");
  return r;
}

// train.ranks > 1 in a slift no launcher started: the training runs on that many ranks as
// `$SLIFT_MPIRUN -np N slift train-ranks ...` (default launcher `mpirun`; e.g. "mpirun
// --allow-run-as-root" as root), which trains and writes <model>.ranks.json; this process goes
// on with that result. The resolved config travels as a file next to the model.
learner::TrainResult train_on_ranks(const Experiment& e, const std::string& model) {
  const std::string prefix = e.output_dir + "/models/" + model;
  const std::string config = prefix + ".ranks.yaml", result = prefix + ".ranks.json";
  write_file_atomic(config, e.config.resolved_yaml());
  const char* launcher = std::getenv("SLIFT_MPIRUN");
  std::string command = std::string(launcher && *launcher ? launcher : "mpirun") + " -np " + std::to_string(e.train.ranks);
  for (const std::string& word :
       {std::filesystem::read_symlink("/proc/self/exe").string(), std::string("train-ranks"), config, model,
        data_path(e, "train"), std::to_string(split_seed(e.seed, "model." + model)), prefix, std::string("--threads"),
        std::to_string(omp_get_max_threads())})
    command += " " + cluster::shell_quote(word);
  if (log::level() == log::Level::quiet) command += " --quiet";
  log::info("train " + model + ": on " + std::to_string(e.train.ranks) + " ranks: " + command);
  std::fflush(nullptr);
  const int status = std::system(command.c_str());
  std::filesystem::remove(config);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  if (code == static_cast<int>(ExitCode::usage)) usage_error("train " + model + " on " + std::to_string(e.train.ranks) + " ranks was refused (above)");
  if (code != 0)
    runtime_error("train " + model + " on " + std::to_string(e.train.ranks) + " ranks failed (exit " + std::to_string(code) +
                  "); a rerun resumes from its checkpoint");
  std::ifstream in(result);
  const learner::TrainResult r = from_json(nlohmann::json::parse(in));
  std::filesystem::remove(result);
  return r;
}

}  // namespace

void train_ranks_worker(const std::string& config_file, const std::string& model, const std::string& train_data,
                        uint64_t seed, const std::string& prefix) {
  mpi::ensure_initialized();
  config::Config config = config::Config::load(config_file);
  config::Section train = config.root().section("train");
  const learner::TrainOptions options = learner::parse_train(train);
  std::ifstream in(config_file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const learner::TrainResult r = learner_api().train(model, options, train_data, seed, prefix + ".pt", prefix + ".ckpt", text);
  if (mpi::rank() == 0) write_file_atomic(prefix + ".ranks.json", to_json(r).dump(2));
}

void check_ranks(const Experiment& e) {
  const int ranks = mpi::size();
  if (ranks == 1) return;
  const std::string where = "config error: " + e.config.file() + ": ";
  if (e.train.ranks > 1 && e.train.ranks != ranks)
    usage_error(where + "train.ranks: " + std::to_string(e.train.ranks) + ", but the launcher started " +
                std::to_string(ranks) + " ranks");
  if (e.train.batch_size % ranks)
    usage_error(where + "train.batch_size: " + std::to_string(e.train.batch_size) + " does not split evenly over the " +
                std::to_string(ranks) + " ranks the launcher started");
}

void train_stage(const Experiment& e, const std::string& model) {
  const std::string dir = e.output_dir + "/models/";
  // Under a launcher every rank trains (the stage is collective) and rank 0 goes on alone.
  learner::TrainResult r;
  if (!mpi::launched_by_mpi() && e.train.ranks > 1)
    r = train_on_ranks(e, model);
  else
    r = learner_api().train(model, e.train, data_path(e, "train"), split_seed(e.seed, "model." + model),
                            dir + model + ".pt", dir + model + ".ckpt", e.config.resolved_yaml());
  if (mpi::rank() != 0) return;
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
