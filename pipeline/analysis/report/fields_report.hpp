// The report page of a field experiment (kind "fields": wave, flow).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "pipeline/experiment.hpp"

namespace slift::report {

std::string fields_report(const pipeline::Experiment& e, const nlohmann::json& metrics);

}  // namespace slift::report
