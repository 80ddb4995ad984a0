// The evaluate stage for "fields" datasets (wave, flow): WCT, WIM, point and energy W2 of every
// generated set and of the two floors against the test set, the memorisation check, written to
// metrics.json (docs/metrics.md, "Fields").
#pragma once
#include <string>

#include "metrics/field_metrics.hpp"
#include "pipeline/experiment.hpp"

namespace slift::pipeline {

void evaluate_fields(const Experiment& e);

// The learned field of a dataset: t0_fields/u (wave) or t0_fields/s (flow), else its only
// time-varying t0 field; raw values (not normalised). Also used by the report.
metrics::FieldEnsemble load_field_ensemble(const std::string& path);

// Frame 0 and the last frame of every trajectory: what a direct model (train.target final)
// generates, so the references are reduced to the same two frames before comparing.
metrics::FieldEnsemble first_and_last_frames(const metrics::FieldEnsemble& e);

}  // namespace slift::pipeline
