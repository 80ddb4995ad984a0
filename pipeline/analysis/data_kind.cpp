#include "pipeline/analysis/data_kind.hpp"

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "metrics/registry.hpp"

namespace slift::pipeline {
namespace {

std::map<std::string, std::unique_ptr<DataKind>>& kinds() {
  static std::map<std::string, std::unique_ptr<DataKind>> registered;
  return registered;
}

bool matches(const std::string& key, const std::string& prefix, const std::string& suffix) {
  return key.size() > prefix.size() + suffix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
         key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

DataKindRegistration::DataKindRegistration(const std::string& name, std::unique_ptr<DataKind> kind) {
  SLIFT_ASSERT(!kinds().count(name), "one data kind per name");
  kinds()[name] = std::move(kind);
}

const DataKind& data_kind(const std::string& name) {
  const auto it = kinds().find(name);
  if (it != kinds().end()) return *it->second;
  std::string known;
  for (const auto& [k, kind] : kinds()) known += (known.empty() ? "" : ", ") + k;
  usage_error("'" + name + "' datasets have no evaluation in this version (" + known + ")");
}

std::vector<std::string> metric_rows(const std::string& kind, const metrics::EvaluateOptions& o, const nlohmann::json& m) {
  std::vector<std::string> rows;
  for (const auto& row : metrics::table_rows(kind, o)) {
    const size_t star = row.find('*');
    if (star == std::string::npos) {
      rows.push_back(row);
      continue;
    }
    const std::string prefix = row.substr(0, star), suffix = row.substr(star + 1);
    std::vector<std::string> keys;
    for (const auto& [name, set] : m.items())
      if (set.is_object() && set.contains("per_time"))
        for (const auto& [key, value] : set.items())
          if (value.is_number() && matches(key, prefix, suffix) && std::find(keys.begin(), keys.end(), key) == keys.end())
            keys.push_back(key);
    rows.insert(rows.end(), keys.begin(), keys.end());
  }
  return rows;
}

}  // namespace slift::pipeline
