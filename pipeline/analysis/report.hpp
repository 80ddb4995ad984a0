// The report stage: report/index.html, one self-contained page (inline SVG plots) that a person
// can look at before reading numbers.
#pragma once
#include "pipeline/experiment.hpp"

namespace slift::pipeline {

void report_stage(const Experiment& e);

}  // namespace slift::pipeline
