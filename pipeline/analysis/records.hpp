// The JSON records of a run, each written and read here only, as typed objects:
//   data/simulate.json   the solver's cost (the simulate stage)
//   models/<m>.json      what training recorded (the train stages)
//   samples/<s>.json     what sampling recorded (the sample stages)
//   metrics.json         the evaluation: one object of metrics per generated set and per floor
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace slift::pipeline {

// data/simulate.json: wall time per split, ranks and threads. Not in the HDF5 files: those are
// byte-identical for any rank count, timings are not.
struct SimulateRecord {
  int ranks = 1, threads = 1;
  nlohmann::json splits = nlohmann::json::object();  // split -> {seconds, computed}
  std::optional<double> seconds_per_trajectory;      // absent when every split was kept
  void write(const std::string& path) const;
  static SimulateRecord read(const std::string& path);
};

// models/<model>.json.
struct TrainRecord {
  std::string model;
  double final_loss = 0, mean_predictor_loss = 0;
  std::string warning;  // "" when training learned something
  double seconds = 0, samples_per_second = 0;
  int64_t steps = 0, parameters = 0;
  std::string device, precision;
  int64_t peak_memory_bytes = 0;
  double label_gradient_norm = 0;
  void write(const std::string& path) const;
  static TrainRecord read(const std::string& path);
};

// samples/<set>.json.
struct SampleRecord {
  std::string name;
  int64_t n_trajectories = 0;
  double nfe_per_step = 0, seconds = 0, seconds_per_trajectory = 0;
  int threads = 1;
  std::string device, precision;
  int64_t batch_size = 0, peak_memory_bytes = 0;
  void write(const std::string& path) const;
  static SampleRecord read(const std::string& path);
};

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
