#include "pipeline/analysis/records.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace slift::pipeline {

namespace {

// A member's entry in the file; nothing: the key is left out.
template <class T>
std::optional<nlohmann::json> entry_of(const T& value, Keep) {
  return nlohmann::json(value);
}
std::optional<nlohmann::json> entry_of(const std::string& value, Keep keep) {
  if (keep == Keep::null_when_empty && value.empty()) return nlohmann::json();
  return nlohmann::json(value);
}
std::optional<nlohmann::json> entry_of(const std::optional<double>& value, Keep) {
  if (!value) return std::nullopt;
  return nlohmann::json(*value);
}

// An entry into its member: numbers as their type (null, a number that was not finite: NaN), a
// text only when it is one (null: none).
template <class T>
void assign_to(T& member, const nlohmann::json& j) {
  member = j.get<T>();
}
void assign_to(double& member, const nlohmann::json& j) { member = j.is_null() ? std::nan("") : j.get<double>(); }
void assign_to(std::optional<double>& member, const nlohmann::json& j) { member = j.is_null() ? std::nan("") : j.get<double>(); }
void assign_to(std::string& member, const nlohmann::json& j) {
  if (!j.is_null()) member = j.get<std::string>();
}

}  // namespace

template <class R>
template <class T>
RecordKey<R>::RecordKey(std::string key, T R::*member, Keep how)
    : name(std::move(key)),
      keep(how),
      entry([member, how](const R& r) { return entry_of(r.*member, how); }),
      assign([member](R& r, const nlohmann::json& j) { assign_to(r.*member, j); }) {}

template <>
const std::vector<RecordKey<SimulateResult>>& record_keys() {
  using R = SimulateResult;
  static const std::vector<RecordKey<R>> keys{
      {"ranks", &R::ranks, Keep::required},
      {"threads", &R::threads, Keep::required},
      {"splits", &R::splits},
      {"seconds_per_trajectory", &R::seconds_per_trajectory},
  };
  return keys;
}

template <>
const std::vector<RecordKey<learner::TrainResult>>& record_keys() {
  using R = learner::TrainResult;
  static const std::vector<RecordKey<R>> keys{
      {"model", &R::model},
      {"final_loss", &R::final_loss, Keep::required},
      {"mean_predictor_loss", &R::mean_predictor_loss},
      {"warning", &R::warning, Keep::null_when_empty},
      {"seconds", &R::seconds},
      {"samples_per_second", &R::samples_per_second},
      {"steps", &R::steps},
      {"parameters", &R::parameters},
      {"device", &R::device},
      {"precision", &R::precision},
      {"peak_memory_bytes", &R::peak_memory_bytes},
      {"label_gradient_norm", &R::label_gradient_norm},  // 0 in files from before the probe
  };
  return keys;
}

template <>
const std::vector<RecordKey<learner::SampleResult>>& record_keys() {
  using R = learner::SampleResult;
  static const std::vector<RecordKey<R>> keys{
      {"name", &R::name},
      {"n_trajectories", &R::n_trajectories},
      {"nfe_per_step", &R::nfe_per_step, Keep::required},
      {"seconds", &R::seconds},
      {"seconds_per_trajectory", &R::seconds_per_trajectory, Keep::required},
      {"threads", &R::threads},
      {"device", &R::device},
      {"precision", &R::precision},
      {"batch_size", &R::batch_size},
      {"peak_memory_bytes", &R::peak_memory_bytes},
  };
  return keys;
}

template <class Result>
void Record<Result>::write(const std::string& path) const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& key : record_keys<Result>())
    if (auto e = key.entry(*this)) j[key.name] = *e;
  write_file_atomic(path, j.dump(2) + "\n");
}

template <class Result>
Record<Result> Record<Result>::read(const std::string& path) {
  std::ifstream in(path);
  if (!in) runtime_error("cannot read " + path);
  Record r;
  std::string at;  // the key being read, for the error
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& key : record_keys<Result>()) {
      at = key.name;
      if (j.contains(key.name))
        key.assign(r, j[key.name]);
      else if (key.keep == Keep::required)
        runtime_error(path + ": no '" + key.name + "'");
    }
  } catch (const nlohmann::json::exception& e) {
    runtime_error(path + ": not a record slift wrote" + (at.empty() ? "" : " ('" + at + "')") + ": " + e.what());
  }
  return r;
}

template struct Record<SimulateResult>;
template struct Record<learner::TrainResult>;
template struct Record<learner::SampleResult>;

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
