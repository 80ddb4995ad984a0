#include "metrics/registry.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace slift::metrics {
namespace {

std::map<std::string, std::map<std::string, MetricInfo>>& infos() {
  static std::map<std::string, std::map<std::string, MetricInfo>> by_kind;
  return by_kind;
}

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

void check_names(const std::string& kind, const std::vector<std::string>& names, const std::string& key) {
  if (const auto why = unknown_metric(kind, names)) usage_error("evaluate." + key + ": " + *why);
}

}  // namespace

std::optional<std::string> unknown_metric(const std::string& kind, const std::vector<std::string>& names) {
  const auto known = metric_infos(kind);
  for (const auto& n : names)
    if (!known.count(n)) {
      std::string list;
      for (const auto& [name, info] : known) list += (list.empty() ? "" : ", ") + name;
      return "'" + n + "' is no metric of " + kind + " data (" + list + ")";
    }
  return std::nullopt;
}

MetricInfo metric_info(const std::string& name, const std::string& kind, const std::function<void(MetricInfo&)>& set) {
  MetricInfo m;
  m.name = name, m.kind = kind;
  set(m);
  return m;
}

void register_info(const MetricInfo& info) {
  SLIFT_ASSERT(!infos()[info.kind].count(info.name), "one metric per name and kind");
  infos()[info.kind][info.name] = info;
}

std::map<std::string, MetricInfo> metric_infos(const std::string& kind) {
  const auto it = infos().find(kind);
  return it == infos().end() ? std::map<std::string, MetricInfo>() : it->second;
}

std::vector<std::string> headline_metrics(const std::string& kind, const EvaluateOptions& o) {
  check_names(kind, o.headline, "headline");
  if (!o.headline.empty()) return o.headline;
  std::vector<std::string> names;
  for (const auto& [name, info] : metric_infos(kind))
    if (info.headline) names.push_back(name);
  return names;
}

std::vector<std::string> selected_metrics(const std::string& kind, const EvaluateOptions& o) {
  check_names(kind, o.metrics, "metrics");
  const std::vector<std::string> headline = headline_metrics(kind, o);
  std::vector<std::string> names;
  for (const auto& [name, info] : metric_infos(kind))
    if (info.by_default || contains(headline, name) || contains(o.metrics, name)) names.push_back(name);
  return names;
}

std::vector<std::string> table_rows(const std::string& kind, const EvaluateOptions& o) {
  const auto known = metric_infos(kind);
  std::vector<std::string> order = headline_metrics(kind, o), rows;
  for (const auto& [name, info] : known)
    if (!contains(order, name)) order.push_back(name);
  for (const auto& name : order) {
    rows.push_back(name);
    const auto& more = known.at(name).rows;
    rows.insert(rows.end(), more.begin(), more.end());
  }
  return rows;
}

}  // namespace slift::metrics
