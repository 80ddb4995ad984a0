// `slift inspect --plot` on field data of 1, 2 and 3 axes: one row per trajectory, each field as
// the report draws it (pipeline/analysis/report/picture.hpp), the PNG's size as its header says.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/dataset.hpp"
#include "pipeline/analysis/report/picture.hpp"
#include "pipeline/commands/inspect_plot.hpp"
#include "support/test_support.hpp"

using slift::pipeline::inspect_plot;
using slift::pipeline::PlotImage;
using slift::test::TempDir;

namespace {

struct Field {
  slift::ArraySpec spec;
  std::vector<float> values;  // n_traj x prod(spec.shape)
};

// A periodic field data set on the grid `cells` (one entry per axis, unit spacing).
void write_fields(const std::string& path, uint64_t n_traj, int n_time, const std::vector<int>& cells,
                  const std::vector<Field>& fields) {
  slift::DatasetHeader h;
  h.kind = "fields";
  h.dataset_name = "plot";
  for (int t = 0; t < n_time; ++t) h.time.push_back(t);
  for (size_t a = 0; a < cells.size(); ++a) {
    const std::string name(1, "xyz"[a]);
    h.axes.push_back({name, {}});
    for (int i = 0; i < cells[a]; ++i) h.axes.back().coordinates.push_back(i);
    h.boundary_conditions.push_back({"periodic_" + name, "PERIODIC", {name}});
  }
  h.params_hash = "plot";
  std::vector<slift::ArraySpec> specs;
  for (const auto& f : fields) specs.push_back(f.spec);
  slift::DatasetWriter w(path, h, specs, n_traj);
  for (size_t k = 0; k < fields.size(); ++k) w.write(k, 0, n_traj, fields[k].values.data());
  w.finish();
}

const uint8_t* pixel(const PlotImage& img, int x, int y) { return &img.rgb[(size_t(y) * img.width + x) * 3]; }
bool reddish(const uint8_t* p) { return p[0] > p[2]; }
bool bluish(const uint8_t* p) { return p[2] > p[0]; }
bool white(const uint8_t* p) { return p[0] == 255 && p[1] == 255 && p[2] == 255; }

// Width and height from the PNG's IHDR chunk (bytes 16 to 23, big-endian).
std::pair<int, int> png_size(const std::string& png) {
  auto be32 = [&](size_t at) {
    int v = 0;
    for (size_t i = at; i < at + 4; ++i) v = v << 8 | static_cast<uint8_t>(png[i]);
    return v;
  };
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  return {be32(16), be32(20)};
}

}  // namespace

// One axis (Allen-Cahn's layout): each trajectory whole as a space-time image, x across and time
// down, and a static field as a strip beside it. Trajectory 0 switches from u = -1 to +1 halfway,
// 1 stays at -1, 2 at +1: blue turning red, blue, red.
TEST(InspectPlot, OneAxisDrawsEachTrajectoryAsASpaceTimeImage) {
  TempDir dir;
  const int n_time = 5, nx = 4;
  std::vector<float> u, c;
  for (int n = 0; n < 3; ++n) {
    for (int t = 0; t < n_time; ++t)
      for (int i = 0; i < nx; ++i) u.push_back(n == 1 || (n == 0 && t < 2) ? -1.0f : 1.0f);
    for (int i = 0; i < nx; ++i) c.push_back(static_cast<float>(i));
  }
  write_fields(dir / "line.h5", 3, n_time, {nx},
               {{{"t0_fields/u", {n_time, nx}, true, {}}, u}, {{"t0_fields/c", {nx}, false, {}}, c}});
  const PlotImage img = inspect_plot(dir / "line.h5");
  // 96 / 4 = 24 pixels a cell; a column per trajectory, 4 cells wide: its space-time image (5
  // frames high), then the static strip (one cell high); gaps of 2.
  const int scale = 24, gap = 2, column = nx * scale + gap;
  EXPECT_EQ(img.width, gap + 3 * column);
  EXPECT_EQ(img.height, gap + (n_time * scale + gap) + (scale + gap));
  const int x = gap + nx * scale / 2, top = gap + scale / 2, bottom = gap + (n_time - 1) * scale + scale / 2;
  EXPECT_TRUE(bluish(pixel(img, x, top)));
  EXPECT_TRUE(reddish(pixel(img, x, bottom)));
  EXPECT_TRUE(bluish(pixel(img, column + x, top)) && bluish(pixel(img, column + x, bottom)));
  EXPECT_TRUE(reddish(pixel(img, 2 * column + x, top)) && reddish(pixel(img, 2 * column + x, bottom)));
  // The static field under each image: one cell high, white to dark blue along x.
  const int strip = gap + n_time * scale + gap + scale / 2;
  EXPECT_TRUE(white(pixel(img, gap, strip)));
  EXPECT_TRUE(bluish(pixel(img, gap + nx * scale - 1, strip)));
  EXPECT_TRUE(white(pixel(img, gap + nx * scale, strip))) << "a gap between the columns";

  slift::pipeline::write_inspect_plot(dir / "line.h5", dir / "line.png");
  EXPECT_EQ(png_size(slift::test::read_file(dir / "line.png")), std::make_pair(img.width, img.height));
}

// Three axes: evenly spaced frames of the middle slice across the first axis, as the report
// shows them. The middle slice (first index 1 of 3) is positive in trajectory 0, growing with time,
// and negative in trajectory 1; every other slice has the opposite sign.
TEST(InspectPlot, ThreeAxesDrawFramesOfTheMiddleSlice) {
  TempDir dir;
  const int n_time = 3, nx = 3, ny = 4, nz = 6;
  std::vector<float> u;
  for (int n = 0; n < 2; ++n)
    for (int t = 0; t < n_time; ++t)
      for (int i = 0; i < nx; ++i)
        for (int c = 0; c < ny * nz; ++c) u.push_back((n == 0) == (i == 1) ? (t + 1.0f) / n_time : -1.0f);
  write_fields(dir / "box.h5", 2, n_time, {nx, ny, nz}, {{{"t0_fields/u", {n_time, nx, ny, nz}, true, {}}, u}});
  const PlotImage img = inspect_plot(dir / "box.h5");
  // 96 / 6 = 16 pixels a cell; three frames (all there are) of 4 x 6 cells.
  const int scale = 16, gap = 2, panel = nz * scale + gap, row = ny * scale + gap;
  EXPECT_EQ(img.width, gap + n_time * panel);
  EXPECT_EQ(img.height, gap + 2 * row);
  for (int f = 0; f < n_time; ++f) {
    EXPECT_TRUE(reddish(pixel(img, gap + f * panel, gap))) << "frame " << f;
    EXPECT_TRUE(bluish(pixel(img, gap + f * panel, row + gap))) << "frame " << f;
  }
  EXPECT_GT(pixel(img, gap, gap)[1], pixel(img, gap + 2 * panel, gap)[1]);  // deeper red later

  slift::pipeline::write_inspect_plot(dir / "box.h5", dir / "box.png");
  EXPECT_EQ(png_size(slift::test::read_file(dir / "box.png")), std::make_pair(img.width, img.height));
}

// Two axes: every static scalar field, then six evenly spaced frames (here of eleven) of each
// time-varying one, each cell a square of pixels in the colour of its value on the field's range
// (u signed: over max |u|; the medium c from its minimum to its maximum); a tensor field left out.
TEST(InspectPlot, TwoAxesDrawTheMediumAndSixFramesCellByCell) {
  TempDir dir;
  const int n_traj = 3, n_time = 11, nx = 6, ny = 8;
  std::vector<float> u, c, k;
  for (int n = 0; n < n_traj; ++n) {
    for (int t = 0; t < n_time; ++t)
      for (int i = 0; i < nx; ++i)
        for (int j = 0; j < ny; ++j) u.push_back(static_cast<float>((7 * i + 3 * j + 5 * t + 11 * n) % 17) / 8 - 1);
    for (int i = 0; i < nx * ny; ++i) c.push_back(static_cast<float>((i * 5 + n) % 9) / 4);
    for (int i = 0; i < nx * ny * 4; ++i) k.push_back(static_cast<float>(i % 3));
  }
  write_fields(dir / "square.h5", n_traj, n_time, {nx, ny},
               {{{"t0_fields/c", {nx, ny}, false, {}}, c},
                {{"t0_fields/u", {n_time, nx, ny}, true, {}}, u},
                {{"t2_fields/K", {nx, ny, 2, 2}, false, {}}, k}});
  const PlotImage img = inspect_plot(dir / "square.h5", 4, 6);
  // 96 / 8 = 12 pixels a cell; the medium and six frames of 6 x 8 cells, three rows.
  const int scale = 12, gap = 2, panel = ny * scale + gap, row = nx * scale + gap;
  ASSERT_EQ(img.width, gap + 7 * panel);
  ASSERT_EQ(img.height, gap + n_traj * row);
  const float u_max = 1.0f, c_lo = 0.0f, c_hi = 2.0f;  // (x % 17) / 8 - 1 and (x % 9) / 4
  for (int n = 0; n < n_traj; ++n)
    for (int p = 0; p < 7; ++p)
      for (int i = 0; i < nx; ++i)
        for (int j = 0; j < ny; ++j) {
          const int t = (p - 1) * (n_time - 1) / 5;  // frames 0, 2, 4, 6, 8, 10
          uint8_t want[3];
          if (p == 0) slift::report::colour((c[(n * nx + i) * ny + j] - c_lo) / (c_hi - c_lo), false, want);
          else slift::report::colour(u[((n * n_time + t) * nx + i) * ny + j] / u_max, true, want);
          for (const auto& [dx, dy] : {std::pair{0, 0}, std::pair{scale - 1, scale - 1}}) {
            const uint8_t* got = pixel(img, gap + p * panel + j * scale + dx, gap + n * row + i * scale + dy);
            ASSERT_TRUE(got[0] == want[0] && got[1] == want[1] && got[2] == want[2])
                << "trajectory " << n << ", panel " << p << ", cell (" << i << ", " << j << ")";
          }
        }
  EXPECT_TRUE(white(pixel(img, gap + panel - 1, gap))) << "a gap between panels";
  slift::pipeline::write_inspect_plot(dir / "square.h5", dir / "square.png");
  EXPECT_EQ(png_size(slift::test::read_file(dir / "square.png")), std::make_pair(img.width, img.height));
}
