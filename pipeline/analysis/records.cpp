#include "pipeline/analysis/records.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace slift::pipeline {
namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) runtime_error("cannot read " + path);
  return nlohmann::json::parse(in);
}

// A number the file must have; JSON writes a non-finite one as null, read back as NaN.
double number(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.contains(key)) runtime_error(path + ": no '" + key + "'");
  return j[key].is_number() ? j[key].get<double>() : std::nan("");
}

}  // namespace

void SimulateRecord::write(const std::string& path) const {
  nlohmann::json j = {{"ranks", ranks}, {"threads", threads}, {"splits", splits}};
  if (seconds_per_trajectory) j["seconds_per_trajectory"] = *seconds_per_trajectory;
  write_file_atomic(path, j.dump(2) + "\n");
}

SimulateRecord SimulateRecord::read(const std::string& path) {
  const nlohmann::json j = read_json(path);
  SimulateRecord r;
  r.ranks = j["ranks"].get<int>(), r.threads = j["threads"].get<int>();
  r.splits = j.value("splits", nlohmann::json::object());
  if (j.contains("seconds_per_trajectory")) r.seconds_per_trajectory = j["seconds_per_trajectory"].get<double>();
  return r;
}

void TrainRecord::write(const std::string& path) const {
  write_file_atomic(path, nlohmann::json{{"model", model},
                                         {"final_loss", final_loss},
                                         {"mean_predictor_loss", mean_predictor_loss},
                                         {"warning", warning.empty() ? nlohmann::json() : nlohmann::json(warning)},
                                         {"seconds", seconds},
                                         {"samples_per_second", samples_per_second},
                                         {"steps", steps},
                                         {"parameters", parameters},
                                         {"device", device},
                                         {"precision", precision},
                                         {"peak_memory_bytes", peak_memory_bytes},
                                         {"label_gradient_norm", label_gradient_norm}}
                              .dump(2));
}

TrainRecord TrainRecord::read(const std::string& path) {
  const nlohmann::json j = read_json(path);
  TrainRecord r;
  r.model = j.value("model", std::string());
  r.final_loss = number(j, "final_loss", path);
  r.mean_predictor_loss = j.value("mean_predictor_loss", 0.0);
  if (j.contains("warning") && j["warning"].is_string()) r.warning = j["warning"].get<std::string>();
  r.seconds = j.value("seconds", 0.0), r.samples_per_second = j.value("samples_per_second", 0.0);
  r.steps = j.value("steps", int64_t{0}), r.parameters = j.value("parameters", int64_t{0});
  r.device = j.value("device", std::string()), r.precision = j.value("precision", std::string());
  r.peak_memory_bytes = j.value("peak_memory_bytes", int64_t{0});
  r.label_gradient_norm = j.value("label_gradient_norm", 0.0);  // 0 in files from before the probe
  return r;
}

void SampleRecord::write(const std::string& path) const {
  write_file_atomic(path, nlohmann::json{{"name", name},
                                         {"n_trajectories", n_trajectories},
                                         {"nfe_per_step", nfe_per_step},
                                         {"seconds", seconds},
                                         {"seconds_per_trajectory", seconds_per_trajectory},
                                         {"threads", threads},
                                         {"device", device},
                                         {"precision", precision},
                                         {"batch_size", batch_size},
                                         {"peak_memory_bytes", peak_memory_bytes}}
                              .dump(2));
}

SampleRecord SampleRecord::read(const std::string& path) {
  const nlohmann::json j = read_json(path);
  SampleRecord r;
  r.name = j.value("name", std::string());
  r.n_trajectories = j.value("n_trajectories", int64_t{0});
  r.nfe_per_step = number(j, "nfe_per_step", path);
  r.seconds = j.value("seconds", 0.0);
  r.seconds_per_trajectory = number(j, "seconds_per_trajectory", path);
  r.threads = std::max(1, j.value("threads", 1));
  r.device = j.value("device", std::string()), r.precision = j.value("precision", std::string());
  r.batch_size = j.value("batch_size", int64_t{0}), r.peak_memory_bytes = j.value("peak_memory_bytes", int64_t{0});
  return r;
}

std::string RunMetrics::path(const std::string& run_dir) { return run_dir + "/metrics.json"; }

RunMetrics RunMetrics::read(const std::string& run_dir) {
  std::ifstream in(path(run_dir));
  if (!in) runtime_error("no metrics.json in " + run_dir + ": run the evaluate stage first");
  RunMetrics m;
  m.j_ = nlohmann::json::parse(in);
  return m;
}

void RunMetrics::write(const std::string& run_dir) const { write_file_atomic(path(run_dir), j_.dump(2) + "\n"); }

std::vector<std::string> RunMetrics::compared() const {
  std::vector<std::string> names;
  for (const auto& [name, v] : j_.items())
    if (v.is_object() && v.contains("per_time")) names.push_back(name);
  return names;
}

std::optional<double> RunMetrics::interpolation_ratio() const {
  if (!j_.contains("interpolation_ratio")) return std::nullopt;
  return j_["interpolation_ratio"].get<double>();
}

void RunMetrics::set_interpolation_ratio() {
  if (!j_.contains("sl") || !j_.contains("deterministic")) return;
  j_["interpolation_ratio"] = j_["sl"]["final_train_loss"].get<double>() /
                              std::max(1e-300, j_["deterministic"]["final_train_loss"].get<double>());
}

std::string metric_text(const nlohmann::json& set, const std::string& key) {
  if (!set.contains(key) || !set[key].is_number()) return "-";
  std::string s = std::to_string(set[key].get<double>());
  if (set.contains(key + "_se")) s += " ± " + std::to_string(set[key + "_se"].get<double>());
  return s;
}

}  // namespace slift::pipeline
