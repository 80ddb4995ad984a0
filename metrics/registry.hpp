// Metrics register themselves beside their function (SLIFT_REGISTER_FIELD_METRIC in
// field_metrics.hpp, SLIFT_REGISTER_STATE_METRIC in trajectory_metrics.hpp), the way systems do: evaluate computes the registered metrics of
// the data's kind, the report's table shows the rows each names and the verdict reads the
// headline ones. A new metric is its function plus one registration; nothing dispatches on its name.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/evaluate_options.hpp"

namespace slift::metrics {

// What evaluate and the report know of a metric.
struct MetricInfo {
  std::string name;  // its key in metrics.json (a number of each compared set), e.g. "wct"
  std::string kind;  // the kind of data it compares: "states" or "fields"
  // A headline metric of its kind: the verdict compares SL with the label-free model on it and
  // the table shows it first (unless evaluate.headline names others).
  bool headline = false;
  // Computed for every data set of the kind; false: only where evaluate.headline or
  // evaluate.metrics names it.
  bool by_default = true;
  // The rows it adds to the report's metrics table, after its name (keys of each set's object; a
  // '*' stands for each of the kind's components, pipeline/analysis/data_kind.hpp).
  std::vector<std::string> rows;
  // Fields: keys that need the saved time series, left out where only the first and last frames
  // are compared (the direct map, train.target final).
  std::vector<std::string> window_keys;
  // Fields: a per-trajectory event time, "<event>_times" of every set and "<event>.reference_times"
  // of the run, drawn as histograms of the truth against each set ("" for none).
  std::string event;
};

// A metric's info: its name and kind, the rest as `set` leaves it (for the registration macros).
MetricInfo metric_info(const std::string& name, const std::string& kind, const std::function<void(MetricInfo&)>& set);

// Why `names` are not all metrics of the kind (the first unknown one, with the known ones);
// nothing when they are.
std::optional<std::string> unknown_metric(const std::string& kind, const std::vector<std::string>& names);

// Every registered metric of a kind, by name.
std::map<std::string, MetricInfo> metric_infos(const std::string& kind);
// The metrics of a kind that evaluate computes with these options: those of every data set, the
// headline ones and those evaluate.metrics names. A usage error naming evaluate.headline or
// evaluate.metrics when they name a metric the kind does not have.
std::vector<std::string> selected_metrics(const std::string& kind, const EvaluateOptions& o);
// The headline metrics: evaluate.headline, else those registered as the kind's headline.
std::vector<std::string> headline_metrics(const std::string& kind, const EvaluateOptions& o);
// The metrics table's rows in order: each headline metric's name and rows, then every other
// metric's, by name.
std::vector<std::string> table_rows(const std::string& kind, const EvaluateOptions& o);

// One registered metric with its function; Compare is the kind's comparison (see field_metrics.hpp,
// trajectory_metrics.hpp).
template <class Compare>
struct Registered {
  MetricInfo info;
  Compare compute;
};
template <class Compare>
std::map<std::string, Registered<Compare>>& registered() {
  static std::map<std::string, Registered<Compare>> metrics;
  return metrics;
}

// Records the metric in both lists; two metrics of one name in one kind are a programming error.
void register_info(const MetricInfo& info);
template <class Compare>
struct MetricRegistration {
  MetricRegistration(const MetricInfo& info, Compare compute) {
    register_info(info);
    registered<Compare>()[info.name] = {info, std::move(compute)};
  }
};

}  // namespace slift::metrics
