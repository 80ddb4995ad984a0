// The report page of a low-dimensional experiment (kind "states").
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "pipeline/experiment.hpp"

namespace slift::report {

std::string states_report(const pipeline::Experiment& e, const nlohmann::json& metrics);

}  // namespace slift::report
