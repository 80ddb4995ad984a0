// A PNG picture of a field dataset, for `slift inspect --plot`.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slift::pipeline {

// An RGB image: height rows of width pixels, 3 bytes each, top row first (as report/png.hpp takes it).
struct PlotImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

// Rows: the first n_traj trajectories; columns: every scalar field as the report draws it
// (report/picture.hpp). On 2 or 3 axes, every static field, then n_frames evenly spaced frames of
// every time-varying field (3-D: middle slices across the first axis); on one axis, every field
// whole: a time-varying one as a space-time image (x across, time down), a static one as a strip.
PlotImage inspect_plot(const std::string& dataset, int n_traj = 4, int n_frames = 6);
// The same picture written to png_path as a PNG.
void write_inspect_plot(const std::string& dataset, const std::string& png_path, int n_traj = 4, int n_frames = 6);

}  // namespace slift::pipeline
