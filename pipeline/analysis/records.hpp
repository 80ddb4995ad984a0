// The JSON records of a run, each written and read here only, as typed objects (a stage's result
// type and one list of its keys, record_keys):
//   data/simulate.json   the solver's cost (the simulate stage)
//   models/<m>.json      what training recorded (the train stages)
//   samples/<s>.json     what sampling recorded (the sample stages)
//   metrics.json         the evaluation: one object of metrics per generated set and per floor
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "learner/learner.hpp"

namespace slift::pipeline {

// How a record keeps one key: `required` (a file without it is refused), `optional` (a file
// older than the key reads the member's default), `null_when_empty` (optional; a text written
// as null when empty).
enum class Keep { required, optional, null_when_empty };

// One key of a record file: its name and the member of the stage's result it holds, as the
// member's entry in the file (nothing: left out) and the entry into the member.
template <class R>
struct RecordKey {
  template <class T>
  RecordKey(std::string key, T R::*member, Keep how = Keep::optional);
  std::string name;
  Keep keep;
  std::function<std::optional<nlohmann::json>(const R&)> entry;
  std::function<void(R&, const nlohmann::json&)> assign;
};

// A record's keys, listed once for each stage result (records.cpp): what its file holds, written
// and read from this list only.
template <class R>
const std::vector<RecordKey<R>>& record_keys();

// A stage's result with its record file; no fields of its own. A number that is not finite is
// written as null and read back as NaN.
template <class Result>
struct Record : Result {
  void write(const std::string& path) const;  // atomically, JSON
  static Record read(const std::string& path);  // a run-time error naming the file and key when not readable
};

// data/simulate.json: wall time per split, ranks and threads. Not in the HDF5 files: those are
// byte-identical for any rank count, timings are not.
struct SimulateResult {
  int ranks = 1, threads = 1;
  nlohmann::json splits = nlohmann::json::object();  // split -> {seconds, computed}
  std::optional<double> seconds_per_trajectory;      // absent when every split was kept
};
using SimulateRecord = Record<SimulateResult>;
using TrainRecord = Record<learner::TrainResult>;    // models/<model>.json
using SampleRecord = Record<learner::SampleResult>;  // samples/<set>.json
template <>
const std::vector<RecordKey<SimulateResult>>& record_keys();
template <>
const std::vector<RecordKey<learner::TrainResult>>& record_keys();
template <>
const std::vector<RecordKey<learner::SampleResult>>& record_keys();

// metrics.json: an object of metrics per generated set (by its name) and per floor
// ("sampling_floor", "data_floor"), beside the run's own entries (dataset, n_test, throughput,
// the interpolation ratio, and per kind of data: time, crossing, conditional, ...).
class RunMetrics {
 public:
  static std::string path(const std::string& run_dir);  // <run_dir>/metrics.json
  // The evaluate stage's output; a run-time error naming the run when it is missing.
  static RunMetrics read(const std::string& run_dir);
  void write(const std::string& run_dir) const;

  nlohmann::json& operator[](const std::string& key) { return j_[key]; }
  const nlohmann::json& json() const { return j_; }
  // The objects compared against the test set (generated sets and floors: they carry per-frame
  // metrics), in the file's order.
  std::vector<std::string> compared() const;
  bool has(const std::string& name) const { return j_.contains(name); }
  const nlohmann::json& at(const std::string& name) const { return j_.at(name); }
  // SL's final training loss over the label-free model's, when the run trained both.
  std::optional<double> interpolation_ratio() const;
  // Sets it from the two sets' final training losses, when both were evaluated.
  void set_interpolation_ratio();

 private:
  nlohmann::json j_ = nlohmann::json::object();
};

// One metric of a metrics.json object as text: "-" when absent or not a number, "value ± error"
// when evaluate recorded a standard error beside it (<key>_se: the fields' bootstrap).
std::string metric_text(const nlohmann::json& set, const std::string& key);

}  // namespace slift::pipeline
