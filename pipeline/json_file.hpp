// Reading the JSON files that stages write (metrics.json, models/<m>.json, samples/<s>.json),
// and their metrics as text.
#pragma once
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"

namespace slift::pipeline {

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) runtime_error("cannot read " + path);
  return nlohmann::json::parse(in);
}

// One metric of a metrics.json object as text: "-" when absent or not a number, "value ± error"
// when evaluate recorded a standard error beside it (<key>_se: the fields' bootstrap).
inline std::string metric_text(const nlohmann::json& set, const std::string& key) {
  if (!set.contains(key) || !set[key].is_number()) return "-";
  std::string s = std::to_string(set[key].get<double>());
  if (set.contains(key + "_se")) s += " ± " + std::to_string(set[key + "_se"].get<double>());
  return s;
}

}  // namespace slift::pipeline
