// Options of the evaluate stage (the `evaluate` section, docs/metrics.md): which metrics are
// computed and lead the report, and the settings of each kind's metrics. Torch-free, beside the
// metrics they set.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace slift::metrics {

struct EvaluateOptions {
  int64_t conditional_states = 10, conditional_samples = 1000;
  int64_t sliced_projections = 128;
  // Fields (docs/metrics.md): crossing when a normalised value of the mask exceeds the threshold;
  // mask `auto` is `edges` for periodic data (wave) and `corner` otherwise (flow).
  double crossing_threshold = 0.05;
  std::string crossing_mask = "auto";  // auto | edges | corner
  int64_t corner_size = 0;             // cells of the corner mask along each axis; 0: n / 8
  // Point values compared per frame: one fraction per axis of the grid for each point, flattened
  // ((x, y) pairs on a 2-D grid).
  std::vector<double> points{0.25, 0.25, 0.5, 0.75, 0.75, 0.5};
  // Bootstrap resamples behind the fields' standard errors (wct_se, wim_se); 0: none.
  int64_t bootstrap = 200;
  // Fields: a transition when the spatial mean reaches this magnitude with the sign opposite to
  // its value at t = 0 (metric wtt).
  double transition_threshold = 0.5;
  // The metrics that lead the report (its verdict and first rows); empty: the data kind's own.
  std::vector<std::string> headline;
  // Metrics computed beside those every data set of the kind gets (and the headline ones).
  std::vector<std::string> metrics;
};

EvaluateOptions parse_evaluate(config::Section& s);

// What crossing_mask `auto` is for data whose boundary conditions have these types ("PERIODIC",
// "WALL", "OPEN"): `edges` where every one is periodic, as the wave reaches the domain's edge;
// `corner` otherwise, the flow's producer side. The evaluation and the check of a `data` section
// both ask here, so that the check refuses exactly the data the corner would be guessed for.
std::string auto_crossing_mask(const std::vector<std::string>& boundary_types);

// Why `points` are no points of a grid of `axes` axes (their count is no multiple of it); nothing
// when they are.
std::optional<std::string> points_problem(const std::vector<double>& points, size_t axes);

// The keys its stage does not hash: those that came after runs existed, while at their defaults.
std::vector<std::string> unhashed_evaluate_keys(const EvaluateOptions& o);

}  // namespace slift::metrics
