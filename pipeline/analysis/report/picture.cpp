#include "pipeline/analysis/report/picture.hpp"

#include <algorithm>
#include <cmath>

#include "metrics/field_metrics.hpp"

namespace slift::report {

void colour(double v, bool signed_range, uint8_t* rgb) {
  auto mix = [&](const double a[3], const double b[3], double t) {
    t = std::clamp(t, 0.0, 1.0);
    for (int k = 0; k < 3; ++k) rgb[k] = static_cast<uint8_t>(std::lround(a[k] + t * (b[k] - a[k])));
  };
  static const double white[3] = {255, 255, 255}, red[3] = {178, 24, 43}, blue[3] = {33, 102, 172},
                      dark[3] = {8, 48, 107};
  if (!signed_range) return mix(white, dark, v);
  if (v >= 0) return mix(white, red, v);
  mix(white, blue, -v);
}

Picture picture(const float* trajectory, int64_t n_time, const std::vector<int64_t>& shape, int64_t t) {
  if (shape.size() == 1) return {n_time, shape[0], std::vector<float>(trajectory, trajectory + n_time * shape[0])};
  const int64_t cells = metrics::FieldEnsemble::grid_cells(shape);
  const int64_t rows = shape[shape.size() - 2], cols = shape.back();
  const float* slice = trajectory + t * cells + (shape.size() == 3 ? shape[0] / 2 * rows * cols : 0);
  return {rows, cols, std::vector<float>(slice, slice + rows * cols)};
}

}  // namespace slift::report
