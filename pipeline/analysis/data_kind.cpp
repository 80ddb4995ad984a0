#include "pipeline/analysis/data_kind.hpp"

#include <map>

#include "core/error.hpp"
#include "metrics/registry.hpp"

namespace slift::pipeline {
namespace {

std::map<std::string, DataKind>& kinds() {
  static std::map<std::string, DataKind> registered;
  return registered;
}

}  // namespace

DataKindRegistration::DataKindRegistration(const std::string& name, DataKind kind) {
  SLIFT_ASSERT(!kinds().count(name), "one data kind per name");
  kinds()[name] = std::move(kind);
}

const DataKind& data_kind(const std::string& name) {
  const auto it = kinds().find(name);
  if (it != kinds().end()) return it->second;
  std::string known;
  for (const auto& [k, kind] : kinds()) known += (known.empty() ? "" : ", ") + k;
  usage_error("'" + name + "' datasets have no evaluation in this version (" + known + ")");
}

std::vector<std::string> metric_rows(const std::string& kind, const metrics::EvaluateOptions& o,
                                     const std::vector<std::string>& each) {
  std::vector<std::string> rows;
  for (const auto& row : metrics::table_rows(kind, o)) {
    const size_t star = row.find('*');
    if (star == std::string::npos) rows.push_back(row);
    else
      for (const auto& v : each) rows.push_back(row.substr(0, star) + v + row.substr(star + 1));
  }
  return rows;
}

}  // namespace slift::pipeline
