// `slift inspect FILE --plot out.png`: a picture of a field dataset: one row per trajectory (on a
// 1-D grid one column), each scalar field drawn as the report draws it (report/picture.hpp), each
// field scaled to its own range over the whole picture. Tensor fields are left out.
#include "pipeline/commands/inspect_plot.hpp"

#include <algorithm>
#include <cmath>

#include "core/atomic_file.hpp"
#include "core/dataset.hpp"
#include "core/error.hpp"
#include "pipeline/analysis/report/picture.hpp"
#include "pipeline/analysis/report/png.hpp"

namespace slift::pipeline {

PlotImage inspect_plot(const std::string& path, int n_traj, int n_frames) {
  DatasetReader r(path, "fields");
  std::vector<int64_t> grid;
  for (const auto& a : r.header().axes) grid.push_back(static_cast<int64_t>(a.coordinates.size()));
  const int rows = static_cast<int>(std::min<uint64_t>(n_traj, r.n_traj()));
  struct Panel {
    std::vector<report::Picture> pictures;  // one per row
    double lo, hi;
    bool signed_range;
  };
  std::vector<Panel> panels;
  for (const auto& a : r.array_paths()) {
    ArraySpec s = r.spec(a);
    if (s.shape.size() != grid.size() + (s.time_varying ? 1 : 0)) continue;  // scalar fields only
    std::vector<float> v = r.read(a, 0, rows);
    if (v.empty()) continue;  // no trajectory, or an axis without points
    auto [mn, mx] = std::minmax_element(v.begin(), v.end());
    const double lo = *mn, hi = *mx;
    const int64_t n_time = s.time_varying ? static_cast<int64_t>(s.shape[0]) : 1, per = static_cast<int64_t>(v.size()) / rows;
    // A 1-D picture shows the whole trajectory: one panel.
    const int64_t frames = grid.size() == 1 ? 1 : std::min<int64_t>(n_frames, n_time);
    for (int64_t f = 0; f < frames; ++f) {
      const int64_t t = frames > 1 ? f * (n_time - 1) / (frames - 1) : 0;
      Panel p{{}, lo, hi, lo < 0 && hi > 0};
      for (int row = 0; row < rows; ++row) p.pictures.push_back(report::picture(v.data() + row * per, n_time, grid, t));
      panels.push_back(std::move(p));
    }
  }
  if (panels.empty()) usage_error(path + ": no scalar field with values to draw (tensor fields are not drawn)");
  // About 96 pixels across the widest grid axis drawn (the first of three is sliced).
  const int64_t side = *std::max_element(grid.end() - std::min<size_t>(grid.size(), 2), grid.end());
  const int scale = static_cast<int>(std::max<int64_t>(1, 96 / side)), gap = 2;
  // 2-D and 3-D: a row of panels (fields, frames) per trajectory. 1-D: a column per trajectory,
  // its space-time images (tall: one line a frame) and static strips one under the other.
  const bool columns = grid.size() == 1;
  std::vector<int> along{gap};  // where each panel starts along its trajectory's row or column
  int across = 0;               // the widest panel across that row or column
  for (const Panel& p : panels) {
    const int w = static_cast<int>(p.pictures[0].cols) * scale, h = static_cast<int>(p.pictures[0].rows) * scale;
    along.push_back(along.back() + (columns ? h : w) + gap);
    across = std::max(across, columns ? w : h);
  }
  const int traj_extent = rows * (across + gap) + gap;
  PlotImage img{columns ? traj_extent : along.back(), columns ? along.back() : traj_extent, {}};
  img.rgb.assign(size_t(img.width) * img.height * 3, 255);
  for (int row = 0; row < rows; ++row)
    for (size_t k = 0; k < panels.size(); ++k) {
      const Panel& P = panels[k];
      const report::Picture& pic = P.pictures[row];
      const double m = std::max(std::fabs(P.lo), std::fabs(P.hi));
      const int64_t x0 = columns ? gap + row * (across + gap) : along[k], y0 = columns ? along[k] : gap + row * (across + gap);
      for (int64_t i = 0; i < pic.rows * scale; ++i)
        for (int64_t j = 0; j < pic.cols * scale; ++j) {
          const double v = pic.values[(i / scale) * pic.cols + j / scale];
          const double t = P.signed_range ? v / m : (P.hi > P.lo ? (v - P.lo) / (P.hi - P.lo) : 0);
          report::colour(t, P.signed_range, &img.rgb[(size_t(y0 + i) * img.width + x0 + j) * 3]);
        }
    }
  return img;
}

void write_inspect_plot(const std::string& path, const std::string& out, int n_traj, int n_frames) {
  const PlotImage img = inspect_plot(path, n_traj, n_frames);
  write_file_atomic(out, report::png_bytes(img.width, img.height, img.rgb));
}

}  // namespace slift::pipeline
