// A PNG picture of a field dataset, for `slift inspect --plot`.
#pragma once
#include <string>

namespace slift::pipeline {

// Rows: the first n_traj trajectories; columns: every static field, then n_frames evenly spaced
// frames of every time-varying field.
void write_inspect_plot(const std::string& dataset, const std::string& png_path, int n_traj = 4, int n_frames = 6);

}  // namespace slift::pipeline
