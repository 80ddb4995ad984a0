#include "pipeline/analysis/evaluate.hpp"

#include <nlohmann/json.hpp>

#include "core/dataset.hpp"
#include "core/log.hpp"
#include "pipeline/analysis/data_kind.hpp"
#include "pipeline/analysis/throughput.hpp"

namespace slift::pipeline {

namespace {

// A set's headline metrics beside the floors', for the log: "wct, wim 0.1, 0.2 (data floor ...)".
std::string describe(const std::vector<std::string>& headline, const nlohmann::json& set, const RunMetrics& m) {
  std::string names;
  for (const auto& k : headline) names += (names.empty() ? "" : ", ") + k;
  auto values = [&](const nlohmann::json& x) {
    std::string v;
    for (const auto& k : headline) v += (v.empty() ? "" : ", ") + metric_text(x, k);
    return v;
  };
  return names + " " + values(set) + " (data floor " + values(m.at("data_floor")) + "; sampling floor " +
         values(m.at("sampling_floor")) + ")";
}

}  // namespace

void evaluate_sets(const Experiment& e, RunMetrics& m, const SetEvaluation& how) {
  for (const auto& set : sample_sets(e)) {
    nlohmann::json j = how.compare(set);
    const TrainRecord trained = TrainRecord::read(e.output_dir + "/models/" + set.model + ".json");
    const SampleRecord sampled = SampleRecord::read(e.output_dir + "/samples/" + set.name + ".json");
    j["final_train_loss"] = trained.final_loss;
    j["label_gradient_norm"] = trained.label_gradient_norm;
    j["seconds_per_trajectory"] = sampled.seconds_per_trajectory;
    j[how.nfe_key] = sampled.nfe_per_step;
    if (!trained.warning.empty()) j["training_warning"] = trained.warning;
    m[set.name] = j;
    log::info("  " + set.name + ": " + describe(how.headline, j, m));
  }
  m.set_interpolation_ratio();
  if (const auto ratio = m.interpolation_ratio())
    log::info("  interpolation ratio (SL loss / label-free loss): " + std::to_string(*ratio));
  m["throughput"] = throughput(e);
  m["headline"] = how.headline;  // what a sweep summarises when its config names no metrics
}

void evaluate_stage(const Experiment& e) { data_kind(DatasetReader(data_path(e, "test")).header().kind).evaluate(e); }

}  // namespace slift::pipeline
