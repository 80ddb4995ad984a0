// Reading the JSON files that stages write (metrics.json, models/<m>.json, samples/<s>.json).
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

}  // namespace slift::pipeline
