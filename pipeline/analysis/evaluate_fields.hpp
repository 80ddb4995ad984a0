// The evaluate stage for "fields" datasets (wave, flow, Allen-Cahn; grids of 1 to 3 axes): the
// registered field metrics (WCT, WIM, point and energy W2, ...) of every generated set and of the
// two floors against the test set, the memorisation check, written to metrics.json
// (docs/metrics.md, "Fields"); registered as the data kind "fields".
#pragma once
#include <string>

#include "metrics/field_metrics.hpp"
#include "pipeline/experiment.hpp"

namespace slift::pipeline {

void evaluate_fields(const Experiment& e);

// The learned field of a generated set (its only field); raw values (not normalised). A value
// that is not finite is the model's failure (exit code 1). Also used by the report.
metrics::FieldEnsemble load_field_ensemble(const std::string& path);
// The learned field of a data split (the one the config's data.state_field names, else the
// file's own: t0_fields/u of the wave, t0_fields/s of the flow). A value that is not finite is a
// bad input file (exit code 2), as training and sampling find it.
metrics::FieldEnsemble load_data_split(const Experiment& e, const std::string& split);

// Frame 0 and the last frame of every trajectory: what a direct model (train.target final)
// generates, so the references are reduced to the same two frames before comparing.
metrics::FieldEnsemble first_and_last_frames(const metrics::FieldEnsemble& e);

}  // namespace slift::pipeline
