// What one image of a field shows and its colours, for the report's frames and
// `slift inspect --plot` alike.
#pragma once
#include <cstdint>
#include <vector>

namespace slift::report {

// Colour of a normalised value: blue - white - red on [-1, 1] for signed fields, white to dark
// blue on [0, 1] otherwise.
void colour(double v, bool signed_range, uint8_t* rgb);

// What one image of a trajectory shows: rows x cols values, row-major.
struct Picture {
  int64_t rows = 0, cols = 0;
  std::vector<float> values;
};

// One image of a trajectory of n_time frames on the grid `shape` (1 to 3 axes), stored from
// `trajectory` on, frame after frame: a 2-D frame t as it is; a 3-D frame t by its middle slice
// across the first axis; a 1-D trajectory whole, as a space-time image (x across, time down; t
// unused). A static field is a trajectory of one frame.
Picture picture(const float* trajectory, int64_t n_time, const std::vector<int64_t>& shape, int64_t t);

}  // namespace slift::report
