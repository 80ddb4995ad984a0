#include "metrics/evaluate_options.hpp"

#include <algorithm>

namespace slift::metrics {

EvaluateOptions parse_evaluate(config::Section& s) {
  EvaluateOptions o;
  // Ranges that no evaluation needs to leave (the conditional samples' memory is checked with the
  // data's dimension, pipeline/estimate.hpp); beyond them the metrics would run for days.
  o.conditional_states = s.get("conditional_states", o.conditional_states, config::int_range(0, 100000));
  o.conditional_samples = s.get("conditional_samples", o.conditional_samples, config::int_range(2, 100000000));
  o.sliced_projections = s.get("sliced_projections", o.sliced_projections, config::int_range(1, 100000));
  o.crossing_threshold = s.get("crossing_threshold", o.crossing_threshold, config::in_range(0, 1));
  o.crossing_mask = s.get("crossing_mask", o.crossing_mask, config::one_of({"auto", "edges", "corner"}));
  o.corner_size = s.get("corner_size", o.corner_size, config::at_least(0));
  o.points = s.get("points", o.points, config::Check<std::vector<double>>([](const std::vector<double>& v) {
                     for (double f : v)
                       if (!(f >= 0 && f <= 1)) return std::optional<std::string>("points are fractions of the grid in [0, 1]");
                     return std::optional<std::string>();
                   }));
  o.bootstrap = s.get("bootstrap", o.bootstrap, config::Check<int64_t>([](int64_t b) {
                        if (b == 0 || (b >= 2 && b <= 100000)) return std::optional<std::string>();
                        return std::optional<std::string>("0 (no standard errors) or 2 to 100000 resamples");
                      }));
  o.transition_threshold = s.get("transition_threshold", o.transition_threshold, config::in_range(0, 1));
  o.headline = s.get("headline", o.headline);
  o.metrics = s.get("metrics", o.metrics);
  s.finish();
  return o;
}

std::string auto_crossing_mask(const std::vector<std::string>& boundary_types) {
  const bool periodic = std::all_of(boundary_types.begin(), boundary_types.end(), [](const std::string& t) { return t == "PERIODIC"; });
  return periodic ? "edges" : "corner";
}

std::optional<std::string> points_problem(const std::vector<double>& points, size_t axes) {
  if (axes == 0 || points.size() % axes == 0) return std::nullopt;
  return std::to_string(points.size()) + " fractions are no points of a grid of " + std::to_string(axes) +
         " axes (one fraction per axis for each point)";
}

std::vector<std::string> unhashed_evaluate_keys(const EvaluateOptions& o) {
  const EvaluateOptions defaults;
  std::vector<std::string> keys;
  if (o.transition_threshold == defaults.transition_threshold) keys.push_back("transition_threshold");
  if (o.headline.empty()) keys.push_back("headline");
  if (o.metrics.empty()) keys.push_back("metrics");
  return keys;
}

}  // namespace slift::metrics
