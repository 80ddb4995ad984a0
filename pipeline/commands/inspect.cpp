// slift inspect: what a dataset holds, without our code's help to read it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "core/atomic_file.hpp"
#include "core/dataset.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "metrics/trajectory_metrics.hpp"
#include "pipeline/commands/common.hpp"
#include "pipeline/commands/inspect_plot.hpp"
#include "simulators/fft_wisdom.hpp"

namespace slift::pipeline {

static std::string shape_text(uint64_t n, const std::vector<uint64_t>& shape) {
  std::string s = "(" + std::to_string(n);
  for (auto d : shape) s += ", " + std::to_string(d);
  return s + ")";
}

void inspect_file(const std::string& path) {
  DatasetReader r(path);
  const DatasetHeader& h = r.header();
  std::printf("%s\n  kind          %s (%s)\n  trajectories  %llu\n", path.c_str(), h.kind.c_str(),
              h.dataset_name.c_str(), (unsigned long long)r.n_traj());
  if (!h.time.empty()) std::printf("  time          %zu saved times from %g to %g (%s)\n", h.time.size(), h.time.front(),
                                   h.time.back(), time_steps_text(h.time).c_str());
  if (!h.axes.empty()) {
    std::string sizes, names;
    for (const auto& a : h.axes) {
      sizes += (sizes.empty() ? "" : " x ") + std::to_string(a.coordinates.size());
      names += (names.empty() ? "" : ", ") + a.name;
    }
    std::printf("  grid          %s (%s; axes %s)\n", sizes.c_str(), h.grid_type.c_str(), names.c_str());
  }
  for (const auto& bc : h.boundary_conditions) {
    std::string axes;
    for (const auto& d : bc.associated_dims) axes += (axes.empty() ? "" : ", ") + d;
    std::printf("  boundary      %s: %s (axes %s)\n", bc.name.c_str(), bc.bc_type.c_str(), axes.c_str());
  }
  if (h.created_by.empty())  // written by others: no provenance of ours to show
    std::printf("  created       by another program than slift (no provenance recorded)\n");
  else
    std::printf("  created       %s by %s, seed %llu\n", h.created_at.c_str(), h.created_by.c_str(),
                (unsigned long long)h.seed);
  if (const std::string wisdom = r.attribute(sim::kWisdomAttribute); !wisdom.empty())
    std::printf("  fft plans     measured, from FFTW wisdom sha256 %s (root attribute %s)\n",
                sha256(wisdom).substr(0, 16).c_str(), sim::kWisdomAttribute);
  if (!h.simulation_parameters.empty()) {
    std::printf("  parameters   ");
    for (const auto& [k, v] : h.simulation_parameters) std::printf(" %s=%g", k.c_str(), v);
    std::printf("\n");
  }
  std::printf("  %-16s %-24s %12s %12s %12s\n", "array", "shape", "min", "max", "mean");
  for (const auto& a : r.array_paths()) {
    ArraySpec s = r.spec(a);
    uint64_t per = std::accumulate(s.shape.begin(), s.shape.end(), uint64_t{1}, std::multiplies<>());
    int comps = h.kind == "states" ? static_cast<int>(s.shape.back()) : 1;  // per state component
    std::vector<double> lo(comps, INFINITY), hi(comps, -INFINITY), sum(comps, 0);
    uint64_t count = 0;
    // Bounded in memory and time whatever the file declares (a sparse file may declare terabytes):
    // the statistics cover the first trajectories up to kStatsBytes and kStatsTrajectories, read
    // kReadBytes at a time; an array with a trajectory above kReadBytes gets none.
    constexpr uint64_t kReadBytes = 64u << 20, kStatsBytes = 1u << 30, kStatsTrajectories = 100000;
    const uint64_t bytes = 4 * per;
    const uint64_t n = bytes > kReadBytes ? 0 : std::min({r.n_traj(), kStatsBytes / bytes, kStatsTrajectories});
    const uint64_t chunk = std::max<uint64_t>(1, kReadBytes / bytes);
    if (n < r.n_traj())
      std::printf("  (%s: statistics of the first %llu of %llu trajectories)\n", a.c_str(), (unsigned long long)n,
                  (unsigned long long)r.n_traj());
    for (uint64_t t0 = 0; t0 < n; t0 += chunk) {
      std::vector<float> v = r.read(a, t0, std::min(chunk, n - t0));
      for (size_t i = 0; i < v.size(); ++i) {
        int c = static_cast<int>(i % comps);
        lo[c] = std::min<double>(lo[c], v[i]), hi[c] = std::max<double>(hi[c], v[i]), sum[c] += v[i];
      }
      count += v.size() / comps;
    }
    for (int c = 0; c < comps; ++c) {
      std::string name = a;
      if (comps > 1) name += "[" + metrics::component_name(h.state_names, c) + "]";
      std::printf("  %-16s %-24s %12.5g %12.5g %12.5g\n", name.c_str(), shape_text(r.n_traj(), s.shape).c_str(), lo[c],
                  hi[c], count ? sum[c] / count : NAN);
    }
  }
}

void add_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "print what a dataset holds: kind, shapes, time axis, provenance, ranges");
  cmd->footer("--plot draws the first 4 trajectories, each field scaled to its own range: on 2 axes a row each,\n"
              "every static field and 6 evenly spaced frames of every time-varying one; on 3 axes the same of\n"
              "the middle slice across the first axis; on 1 axis a column each, every field whole, a time-varying\n"
              "one as a space-time image (x across, time down), a static one as a strip. Tensor fields are left out.\n\n"
              "Examples:\n  slift inspect runs/duffing/data/train.h5\n"
              "  slift inspect runs/wave/data/train.h5 --plot wave.png   # media and frames of 4 trajectories\n"
              "  slift inspect runs/allen_cahn/data/train.h5 --plot allen_cahn.png   # 4 trajectories, x across, time down");
  static std::vector<std::string> files;
  static std::string plot;
  static bool force = false;
  cmd->add_option("FILE", files, "slift HDF5 dataset(s)")->required();
  cmd->add_option("--plot", plot, "also draw the first trajectories of a field dataset as a PNG (below)");
  cmd->add_flag("--force", force, "let --plot replace an existing file (never a FILE)");
  cmd->callback([] {
    if (!plot.empty()) {
      std::vector<std::pair<std::string, std::string>> inputs;
      for (const auto& f : files) inputs.push_back({f, "the inspected file " + f});
      check_output("--plot", plot, inputs, force);
    }
    for (const auto& f : files) inspect_file(f);
    if (!plot.empty()) write_inspect_plot(files.front(), plot);
  });
}

}  // namespace slift::pipeline
