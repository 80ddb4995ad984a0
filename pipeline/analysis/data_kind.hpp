// A kind of data ("states", "fields"): how its generated sets are evaluated and reported. Each
// kind registers itself beside its code (SLIFT_REGISTER_DATA_KIND), the way systems do; evaluate
// and report take the kind that the test set's header names, and its metrics are those
// registered for it (metrics/registry.hpp). Nothing else dispatches on the kind's name.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/experiment.hpp"

namespace slift::pipeline {

struct DataKind {
  // Compares every generated set and both floors with the test set: metrics.json.
  std::function<void(const Experiment& e)> evaluate;
  // The report page (report/index.html) from metrics.json.
  std::function<std::string(const Experiment& e, const nlohmann::json& metrics)> report;
};

struct DataKindRegistration {
  DataKindRegistration(const std::string& name, DataKind kind);
};

// The kind registered under `name`; a usage error naming the file's kind and the known ones.
const DataKind& data_kind(const std::string& name);

// The rows of the metrics table of a kind's report: its metrics' (metrics::table_rows), where a
// row with a '*' stands for one row per value of `each`, in order (states: the component names).
std::vector<std::string> metric_rows(const std::string& kind, const metrics::EvaluateOptions& o,
                                     const std::vector<std::string>& each = {});

}  // namespace slift::pipeline

// Registers the kind `name` with its evaluate and report functions.
#define SLIFT_REGISTER_DATA_KIND(name, evaluate, report) \
  static const ::slift::pipeline::DataKindRegistration slift_data_kind_##name(#name, {evaluate, report})
