// `slift inspect FILE --plot out.png`: a picture of a field dataset: for the first trajectories,
// each static field (the medium) and evenly spaced frames of each time-varying field, side by
// side, each field scaled to its own range over the whole picture.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/atomic_file.hpp"
#include "core/dataset.hpp"
#include "core/error.hpp"
#include "pipeline/analysis/report/png.hpp"
#include "pipeline/commands/inspect_plot.hpp"

namespace slift::pipeline {
namespace {

// Blue-white-red for signed data, white to dark blue otherwise.
void colour(double t, bool signed_range, uint8_t* rgb) {
  static const double white[3] = {255, 255, 255}, red[3] = {178, 24, 43}, blue[3] = {33, 102, 172},
                      dark[3] = {8, 48, 107};
  const double* to = signed_range ? (t >= 0 ? red : blue) : dark;
  double a = std::clamp(signed_range ? std::fabs(t) : t, 0.0, 1.0);
  for (int k = 0; k < 3; ++k) rgb[k] = static_cast<uint8_t>(std::lround(white[k] + a * (to[k] - white[k])));
}

}  // namespace

void write_inspect_plot(const std::string& path, const std::string& out, int n_traj, int n_frames) {
  DatasetReader r(path, "fields");
  const std::vector<Axis>& axes = r.header().axes;
  if (axes.size() != 2)
    usage_error(path + ": the plot draws 2-D fields; this data set has " + std::to_string(axes.size()) + " spatial axes");
  const uint64_t nx = axes[0].coordinates.size(), ny = axes[1].coordinates.size();
  const int rows = static_cast<int>(std::min<uint64_t>(n_traj, r.n_traj()));
  struct Panel {
    std::vector<float> data;  // rows x cells
    int64_t stride, offset;   // per trajectory, and of the frame inside it
    double lo, hi;
    bool signed_range;
  };
  std::vector<Panel> panels;
  for (const auto& a : r.array_paths()) {
    ArraySpec s = r.spec(a);
    if (s.shape.size() != (s.time_varying ? 3u : 2u)) continue;  // scalar 2-D fields only
    std::vector<float> v = r.read(a, 0, rows);
    auto [mn, mx] = std::minmax_element(v.begin(), v.end());
    double lo = *mn, hi = *mx;
    bool sgn = lo < 0 && hi > 0;
    int64_t per = std::accumulate(s.shape.begin(), s.shape.end(), int64_t{1}, std::multiplies<>());
    int frames = s.time_varying ? std::min<int>(n_frames, static_cast<int>(s.shape[0])) : 1;
    for (int f = 0; f < frames; ++f) {
      int64_t t = s.time_varying ? (frames > 1 ? f * (int64_t(s.shape[0]) - 1) / (frames - 1) : 0) : 0;
      panels.push_back({v, per, t * int64_t(nx * ny), lo, hi, sgn});
    }
  }
  if (panels.empty()) usage_error(path + ": no 2-D field to draw");
  const int scale = std::max<int>(1, static_cast<int>(96 / std::max(nx, ny))), gap = 2;
  const int cw = static_cast<int>(ny) * scale, ch = static_cast<int>(nx) * scale;
  const int width = static_cast<int>(panels.size()) * (cw + gap) + gap, height = rows * (ch + gap) + gap;
  std::vector<uint8_t> rgb(size_t(width) * height * 3, 255);
  for (int row = 0; row < rows; ++row)
    for (size_t p = 0; p < panels.size(); ++p) {
      const Panel& P = panels[p];
      const float* f = P.data.data() + row * P.stride + P.offset;
      double m = std::max(std::fabs(P.lo), std::fabs(P.hi));
      for (uint64_t i = 0; i < nx * scale; ++i)
        for (uint64_t j = 0; j < ny * scale; ++j) {
          double v = f[(i / scale) * ny + j / scale];
          double t = P.signed_range ? v / m : (P.hi > P.lo ? (v - P.lo) / (P.hi - P.lo) : 0);
          int px = gap + static_cast<int>(p) * (cw + gap) + static_cast<int>(j);
          int py = gap + row * (ch + gap) + static_cast<int>(i);
          colour(t, P.signed_range, &rgb[(size_t(py) * width + px) * 3]);
        }
    }
  write_file_atomic(out, report::png_bytes(width, height, rgb));
}

}  // namespace slift::pipeline
