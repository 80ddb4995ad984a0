// The report of a low-dimensional experiment (kind "states", e.g. Duffing): time-marginal bands,
// histograms at three times, sample paths, W2 over time against the floors, the metrics table.
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "metrics/trajectory_metrics.hpp"
#include "pipeline/analysis/data_kind.hpp"
#include "pipeline/analysis/report/html.hpp"
#include "pipeline/analysis/report/states_report.hpp"
#include "pipeline/analysis/report/svg_plot.hpp"
#include "pipeline/experiment.hpp"

namespace slift::report {
namespace {

struct Set {
  std::string name, color;
  std::vector<float> data;
  int64_t n, n_time, dim;
  double at(int64_t i, int64_t t, int64_t k) const { return data[(i * n_time + t) * dim + k]; }
};

Set load(const std::string& name, const std::string& path, const std::string& color) {
  DatasetReader r(path, "states");
  ArraySpec s = r.spec("states");
  return {name, color, r.read("states"), static_cast<int64_t>(r.n_traj()), static_cast<int64_t>(s.shape[0]),
          static_cast<int64_t>(s.shape[1])};
}

// Mean ± one standard deviation of each component over time, every set.
void add_marginals(Page& page, const std::vector<Set>& sets, const std::vector<double>& time,
                   const std::vector<std::string>& names) {
  page.heading("Time marginals: mean &plusmn; one standard deviation");
  for (int64_t k = 0; k < sets[0].dim; ++k) {
    SvgPlot p(names[k] + " over time", "t", names[k]);
    for (const auto& s : sets) {
      std::vector<double> mean(s.n_time), lo(s.n_time), hi(s.n_time);
      for (int64_t t = 0; t < s.n_time; ++t) {
        double m = 0, m2 = 0;
        for (int64_t i = 0; i < s.n; ++i) m += s.at(i, t, k), m2 += s.at(i, t, k) * s.at(i, t, k);
        m /= s.n;
        double sd = std::sqrt(std::max(0.0, m2 / s.n - m * m));
        mean[t] = m, lo[t] = m - sd, hi[t] = m + sd;
      }
      p.band(time, lo, hi, s.color);
      p.line(time, mean, s.color, s.name);
    }
    page.figure(p.svg());
  }
}

// Histograms of each component at a quarter, half and the end of the time axis, every set.
void add_histograms(Page& page, const std::vector<Set>& sets, const std::vector<double>& time,
                    const std::vector<std::string>& names) {
  page.heading("Histograms at three times");
  for (int64_t t : {time.size() / 4, time.size() / 2, time.size() - 1}) {
    for (int64_t k = 0; k < sets[0].dim; ++k) {
      double lo = INFINITY, hi = -INFINITY;
      for (int64_t i = 0; i < sets[0].n; ++i) lo = std::min(lo, sets[0].at(i, t, k)), hi = std::max(hi, sets[0].at(i, t, k));
      double pad = 0.15 * (hi - lo);
      char title[64];
      std::snprintf(title, sizeof title, "%s at t = %.3g", names[k].c_str(), time[t]);
      SvgPlot p(title, names[k], "density", 330, 240);
      for (const auto& s : sets) {
        std::vector<double> v(s.n);
        for (int64_t i = 0; i < s.n; ++i) v[i] = s.at(i, t, k);
        p.histogram(v, lo - pad, hi + pad, 30, s.color, s.name);
      }
      page.figure(p.svg());
    }
  }
}

// Twenty paths of the first component per set, on one y range.
void add_paths(Page& page, const std::vector<Set>& sets, const std::vector<double>& time, const std::string& name) {
  page.heading("Twenty sample paths of " + escape(name) + " (same y range in every panel)");
  std::vector<SvgPlot> paths;
  for (const auto& s : sets) {
    SvgPlot p(s.name, "t", name, 330, 240);
    for (int64_t i = 0; i < std::min<int64_t>(20, s.n); ++i) {
      std::vector<double> y(s.n_time);
      for (int64_t t = 0; t < s.n_time; ++t) y[t] = s.at(i, t, 0);
      p.line(time, y, s.color, "", 1.0, 0.6);
    }
    paths.push_back(std::move(p));
  }
  share_y_range(paths);
  for (const auto& p : paths) page.figure(p.svg());
}

// Sliced W2 to the test set per saved time: every set, the floors dashed.
void add_sliced_w2(Page& page, const pipeline::Experiment& e, const nlohmann::json& metrics, const std::vector<double>& time) {
  page.heading("Sliced W2 to the test set over time");
  SvgPlot w("sliced W2 per saved time", "t", "sliced W2");
  w.log_y(true);
  auto series = [&](const std::string& key, bool dashed) {
    if (!metrics.contains(key)) return;
    std::vector<double> v = metrics[key]["per_time"]["sliced_w2"].get<std::vector<double>>();
    std::vector<double> tt(time.begin() + 1, time.end()), vv(v.begin() + 1, v.end());
    w.line(tt, vv, model_color(key), key, 1.6, 1.0, dashed);
  };
  for (const auto& s : pipeline::sample_sets(e)) series(s.name, false);
  series("sampling_floor", true);
  series("data_floor", true);
  page.figure(w.svg());
}

void add_conditional(Page& page, const pipeline::Experiment& e, const nlohmann::json& c) {
  page.heading("Conditional check: one step from fixed states");
  page.paragraph("Sliced W2 between " + std::to_string(c["samples"].get<int>()) +
                 " one-step samples of each model and of the simulator, from the same state at t = " +
                 std::to_string(c["time"].get<double>()) +
                 "; the simulator floor compares two independent simulator batches.");
  std::vector<std::string> cols{"simulator_floor"};
  for (const auto& s : pipeline::sample_sets(e))
    if (c.contains(s.name)) cols.push_back(s.name);
  page.conditional_table(c, cols);
}

}  // namespace

std::string states_report(const pipeline::Experiment& e, const nlohmann::json& metrics) {
  DatasetReader test_reader(pipeline::data_path(e, "test"), "states");
  const std::vector<double> time = test_reader.header().time;
  std::vector<std::string> names;  // one per component, as the metric keys name them
  for (int64_t k = 0; k < static_cast<int64_t>(test_reader.spec("states").shape[1]); ++k)
    names.push_back(metrics::component_name(test_reader.header().state_names, k));
  std::vector<Set> sets{load("truth (test)", pipeline::data_path(e, "test"), kTruthColor)};
  for (const auto& s : pipeline::sample_sets(e))
    sets.push_back(load(s.name, e.output_dir + "/samples/" + s.name + ".h5", model_color(s.name)));

  Page page(e.name + ": Stochastic Lifting report");
  page.paragraph("Dataset <b>" + escape(metrics.value("dataset", std::string())) + "</b>, " +
                 std::to_string(metrics.value("n_test", 0)) + " test trajectories of " + std::to_string(time.size()) +
                 " saved states. Generated trajectories start from the test set's initial states and draw a fresh "
                 "label at every step.");
  page.verdict(metrics, slift::metrics::headline_metrics("states", e.evaluate));
  std::vector<std::string> keys = pipeline::metric_rows("states", e.evaluate, names);
  keys.insert(keys.end(), {"final_train_loss", "label_gradient_norm", "nfe_per_step", "seconds_per_trajectory"});
  page.metrics_table(metrics, keys);
  if (metrics.contains("throughput")) {
    page.heading("Trajectories per second on this machine");
    page.throughput_table(metrics["throughput"]);
  }
  add_marginals(page, sets, time, names);
  add_histograms(page, sets, time, names);
  add_paths(page, sets, time, names[0]);
  add_sliced_w2(page, e, metrics, time);
  if (metrics.contains("conditional")) add_conditional(page, e, metrics["conditional"]);
  return page.html();
}

}  // namespace slift::report
