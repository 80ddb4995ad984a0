// The report of a field experiment: the metrics table, the share of trajectories that had an event
// (crossing, transition) by each time, truth against every generated set, the integrated mass and
// its per-frame W2 over time beside the floors, frames of truth and generated trajectories (1-D:
// space-time images; 3-D: middle slices), and the memorisation histogram.
#include "pipeline/analysis/report/fields_report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "metrics/field_metrics.hpp"
#include "pipeline/analysis/data_kind.hpp"
#include "pipeline/analysis/evaluate_fields.hpp"
#include "pipeline/analysis/report/html.hpp"
#include "pipeline/analysis/report/picture.hpp"
#include "pipeline/analysis/report/png.hpp"
#include "pipeline/analysis/report/svg_plot.hpp"
#include "pipeline/experiment.hpp"

namespace slift::report {
namespace {

struct Set {
  std::string name, color;
  metrics::FieldEnsemble fields;  // normalised
};

// Frame t of trajectory traj as one image (picture.hpp).
Picture picture(const metrics::FieldEnsemble& e, int64_t traj, int64_t t) {
  return report::picture(e.frame(traj, 0), e.n_time, e.shape, t);
}

// One picture as an <img> with its caption, the first axis drawn downwards (so the corner mask is
// lower right).
std::string frame_image(const Picture& p, bool signed_range, const std::string& caption, int64_t size = 96) {
  std::vector<uint8_t> rgb(p.values.size() * 3);
  for (size_t c = 0; c < p.values.size(); ++c) colour(p.values[c], signed_range, &rgb[c * 3]);
  const int64_t scale = std::max<int64_t>(1, size / std::max(p.rows, p.cols));
  return "<figure><img src='" + png_data_uri(static_cast<int>(p.cols), static_cast<int>(p.rows), rgb) +
         "' style='width:" + std::to_string(p.cols * scale) + "px;height:" + std::to_string(p.rows * scale) +
         "px;image-rendering:pixelated;border:1px solid #ccc'/><figcaption>" + caption + "</figcaption></figure>";
}

// The colour scale of the frames, with its ends and middle labelled (normalised units).
std::string colour_bar(bool signed_range) {
  const int n = 128;
  std::vector<uint8_t> rgb(n * 3);
  const double lo = signed_range ? -1 : 0;
  for (int i = 0; i < n; ++i) colour(lo + (1 - lo) * i / (n - 1.0), signed_range, &rgb[i * 3]);
  const std::string mid = signed_range ? "0" : "0.5";
  return "<span style='display:inline-block;vertical-align:middle;font-size:11px'><img src='" + png_data_uri(n, 1, rgb) +
         "' style='width:200px;height:14px;image-rendering:pixelated;border:1px solid #ccc'/><span "
         "style='display:flex;justify-content:space-between;width:202px'><span>" +
         std::string(signed_range ? "-1" : "0") + "</span><span>" + mid + "</span><span>1</span></span></span>";
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// The grid as text, e.g. "32&times;32".
std::string grid_text(const std::vector<int64_t>& shape) {
  std::string s;
  for (int64_t n : shape) s += (s.empty() ? "" : "&times;") + std::to_string(n);
  return s;
}

// The page's head: what was compared, the verdict, the metrics and the throughput.
void add_summary(Page& page, const pipeline::Experiment& e, const nlohmann::json& m, const metrics::FieldEnsemble& truth) {
  const auto& crossing = m["crossing"];
  page.paragraph("Dataset <b>" + escape(m.value("dataset", std::string())) + "</b>, field <code>" +
                 escape(m.value("field", std::string())) +
                 "</code>: " + std::to_string(truth.n) + " test trajectories of " + std::to_string(truth.n_time) +
                 " frames on a " + grid_text(truth.shape) + " grid, normalised to " + m["normalisation"]["range"].get<std::string>() +
                 " (appendix D.5). Crossing time: first frame (time normalised to [0, 1]) at which a cell of the <b>" +
                 crossing["mask"].get<std::string>() + "</b> mask exceeds " + fmt("%.3g", crossing["threshold"]) +
                 "; never &rarr; 1. Generated trajectories start from the test set's initial frames, one network "
                 "evaluation per frame for SL and the deterministic model, K for ARDM-K.");
  page.verdict(m, metrics::headline_metrics("fields", e.evaluate));
  std::vector<std::string> rows = pipeline::metric_rows("fields", e.evaluate);
  rows.insert(rows.end(), {"final_train_loss", "nfe_per_frame", "seconds_per_trajectory"});
  page.metrics_table(m, rows);
  if (m.contains("throughput")) {
    page.heading("Trajectories per second on this machine");
    page.throughput_table(m["throughput"]);
  }
}

// The share of trajectories whose event (normalised time in [0, 1], 1 = never) came by each
// normalised frame time x before the last, then at 1 the share it ever came to: a step curve that
// ends at 1 - never.
std::vector<double> share_by(std::vector<double> times, const std::vector<double>& x) {
  std::sort(times.begin(), times.end());
  const auto came = static_cast<size_t>(std::lower_bound(times.begin(), times.end(), 1.0) - times.begin());
  const double n = static_cast<double>(std::max<size_t>(1, times.size()));
  std::vector<double> share(x.size());
  for (size_t k = 0; k < x.size(); ++k) {
    const auto by = static_cast<size_t>(std::upper_bound(times.begin(), times.end(), x[k]) - times.begin());
    share[k] = static_cast<double>(std::min(by, came)) / n;
  }
  return share;
}

// The distribution of an event's times (crossing, transition), truth against each generated set:
// the share that has had it by each time. Cumulative rather than a histogram, as the trajectories
// whose event never came (often most of them) would otherwise be one bar that flattens the rest.
void add_event_times(Page& page, const pipeline::Experiment& e, const nlohmann::json& m, const std::string& event,
                     const std::vector<double>& time) {
  std::string heading = event + " time";
  heading[0] = static_cast<char>(std::toupper(heading[0]));
  page.heading(heading);
  std::vector<double> x(time.size());  // the frames on the event times' scale
  for (size_t k = 0; k < x.size(); ++k) x[k] = metrics::normalised_time(time, static_cast<int64_t>(k));
  const auto curve = [&](const std::vector<double>& times, const std::string& color, const std::string& name, SvgPlot& p) {
    const std::vector<double> share = share_by(times, x);
    std::vector<double> sx, sy;  // steps: the share holds until the next frame
    for (size_t k = 0; k < x.size(); ++k) {
      if (k > 0) sx.push_back(x[k]), sy.push_back(share[k - 1]);
      sx.push_back(x[k]), sy.push_back(share[k]);
    }
    p.line(sx, sy, color, name + ": never " + std::to_string(static_cast<int>(std::lround(100 * (1 - share.back())))) + "%");
  };
  const std::vector<double> ref_times = m[event]["reference_times"].get<std::vector<double>>();
  for (const auto& s : pipeline::sample_sets(e)) {
    SvgPlot p(event + " time: truth vs " + s.name, "normalised " + event + " time", "share so far", 380, 240);
    curve(ref_times, kTruthColor, "truth", p);
    curve(m[s.name][event + "_times"].get<std::vector<double>>(), model_color(s.name), s.name, p);
    p.y_range(0, 1);
    page.figure(p.svg());
  }
}

// The integrated mass of every set over time (mean ± sd), and its per-frame W2 beside the floors.
void add_integrated_mass(Page& page, const pipeline::Experiment& e, const nlohmann::json& m, const std::vector<Set>& sets,
                         const std::vector<double>& time) {
  page.heading("Integrated mass");
  SvgPlot mass("integrated mass (mean |u|): mean ± sd", "t", "mass");
  for (const auto& s : sets) {
    std::vector<double> v = metrics::integrated_mass(s.fields), mean(time.size()), lo(time.size()), hi(time.size());
    for (size_t t = 0; t < time.size(); ++t) {
      double a = 0, a2 = 0;
      for (int64_t i = 0; i < s.fields.n; ++i) a += v[i * s.fields.n_time + t], a2 += v[i * s.fields.n_time + t] * v[i * s.fields.n_time + t];
      a /= s.fields.n;
      double sd = std::sqrt(std::max(0.0, a2 / s.fields.n - a * a));
      mean[t] = a, lo[t] = std::max(0.0, a - sd), hi[t] = a + sd;  // a mass is never negative
    }
    mass.band(time, lo, hi, s.color);
    mass.line(time, mean, s.color, s.name);
  }
  page.figure(mass.svg());
  SvgPlot wim("W2 of the integrated mass per frame (WIM = its mean)", "t", "W2");
  wim.log_y(true);
  std::vector<std::string> keys;
  for (const auto& s : pipeline::sample_sets(e)) keys.push_back(s.name);
  keys.push_back("sampling_floor"), keys.push_back("data_floor");
  for (const std::string& key : keys) {
    std::vector<double> v = m[key]["per_time"]["w2_mass"].get<std::vector<double>>();
    wim.line(std::vector<double>(time.begin() + 1, time.end()), std::vector<double>(v.begin() + 1, v.end()), model_color(key), key,
             1.6, 1.0, key.find("floor") != std::string::npos);
  }
  page.figure(wim.svg());
}

// One set's images in a row under its name.
std::string set_row(const Set& s, const std::string& images) {
  return "<div><b style='color:" + s.color + "'>" + s.name + "</b><div style='display:flex;gap:4px;align-items:flex-end'>" +
         images + "</div></div>";
}

// Six trajectories of every set on a 1-D grid, each a space-time image.
void add_space_time(Page& page, const std::vector<Set>& sets, const std::vector<double>& time, bool signed_range) {
  page.heading("Six trajectories: x across, time down (t = " + fmt("%.3g", time.front()) + " to " + fmt("%.3g", time.back()) +
               ")");
  page.paragraph("Colour scale (normalised value): " + colour_bar(signed_range));
  for (const auto& s : sets) {
    std::string images;
    for (int64_t i = 0; i < std::min<int64_t>(6, s.fields.n); ++i)
      images += frame_image(picture(s.fields, i, 0), signed_range, "trajectory " + std::to_string(i), 160);
    page.figure(set_row(s, images));
  }
}

// Trajectory 0 over time, then the final frames of six trajectories, for every set (3-D: their
// middle slices); on a 1-D grid, six trajectories as space-time images.
void add_frames(Page& page, const std::vector<Set>& sets, const std::vector<double>& time, bool signed_range) {
  if (sets[0].fields.shape.size() == 1) return add_space_time(page, sets, time, signed_range);
  page.heading("Frames: trajectory 0 over time, then the final frames (t = " + fmt("%.3g", time.back()) +
               ") of six trajectories" + (sets[0].fields.shape.size() == 3 ? " (middle slice of the first axis)" : ""));
  page.paragraph("Colour scale (normalised value): " + colour_bar(signed_range));
  for (const auto& s : sets) {
    std::string images;
    for (int q = 0; q <= 4; ++q) {
      int64_t t = q * (s.fields.n_time - 1) / 4;
      images += frame_image(picture(s.fields, 0, t), signed_range, "t = " + fmt("%.3g", time[t]));
    }
    images += "<span style='width:16px'></span>";
    for (int64_t i = 0; i < std::min<int64_t>(6, s.fields.n); ++i)
      images += frame_image(picture(s.fields, i, s.fields.n_time - 1), signed_range, "trajectory " + std::to_string(i));
    page.figure(set_row(s, images));
  }
}

// Nearest-training distances of the final frames: the training set's own, the sampling floor's,
// every generated set's.
void add_memorisation(Page& page, const pipeline::Experiment& e, const nlohmann::json& m) {
  page.heading("Memorisation check (final frames)");
  std::string ratios;
  for (const auto& set : pipeline::sample_sets(e))
    ratios += set.name + " " + fmt("%.3g", m[set.name]["memorisation"]["median_ratio"]) + ", ";
  ratios += "sampling floor " + fmt("%.3g", m["sampling_floor"]["memorisation"]["median_ratio"]);
  page.paragraph("RMS distance from each final frame to its nearest training final frame; the training set against "
                 "itself leaves each frame out. A model that copies training data sits near 0; fresh ground truth "
                 "(the sampling floor set) shows what new samples give. Median ratio to the training set's own: " +
                 ratios + ".");
  std::vector<std::pair<std::string, std::vector<double>>> dist{
      {"train to train", m["memorisation_train"]["distances"].get<std::vector<double>>()},
      {"sampling_floor", m["sampling_floor"]["memorisation"]["distances"].get<std::vector<double>>()}};
  for (const auto& s : pipeline::sample_sets(e))
    dist.push_back({s.name, m[s.name]["memorisation"]["distances"].get<std::vector<double>>()});
  double hi = 0;
  for (const auto& d : dist) hi = std::max(hi, *std::max_element(d.second.begin(), d.second.end()));
  SvgPlot mem("nearest-training distance of final frames", "RMS distance", "density");
  for (const auto& [name, d] : dist)
    mem.histogram(d, 0, 1.05 * hi + 1e-12, 30, name == "train to train" ? kTruthColor : model_color(name), name);
  page.figure(mem.svg());
}

}  // namespace

std::string fields_report(const pipeline::Experiment& e, const nlohmann::json& m) {
  const std::vector<double> time = m["time"].get<std::vector<double>>();
  const bool signed_range = m["normalisation"]["range"] == "[-1, 1]";
  metrics::FieldNormalisation norm;
  norm.offset = m["normalisation"]["offset"], norm.scale = m["normalisation"]["scale"], norm.signed_range = signed_range;
  // The direct map (train.target final) generates frame 0 and the last frame only (metrics.json
  // "final_frame_only"): the truth is shown on the same two frames, without crossing times.
  const bool direct = m.value("final_frame_only", false);
  metrics::FieldEnsemble test = pipeline::load_data_split(e, "test");
  std::vector<Set> sets{{"truth (test)", kTruthColor, direct ? pipeline::first_and_last_frames(test) : test}};
  for (const auto& s : pipeline::sample_sets(e))
    sets.push_back({s.name, model_color(s.name), pipeline::load_field_ensemble(e.output_dir + "/samples/" + s.name + ".h5")});
  for (auto& s : sets) metrics::normalise(s.fields, norm);

  Page page(e.name + ": Stochastic Lifting report");
  add_summary(page, e, m, sets[0].fields);
  if (direct)
    page.paragraph("Direct map (train.target final): one network evaluation from frame 0 to the last frame; the "
                   "sets are compared on the last frame only (no crossing time).");
  else
    for (const auto& [name, info] : metrics::metric_infos("fields"))
      if (!info.event.empty() && m.contains(info.event)) add_event_times(page, e, m, info.event, time);
  add_integrated_mass(page, e, m, sets, time);
  add_frames(page, sets, time, signed_range);
  add_memorisation(page, e, m);
  return page.html();
}

}  // namespace slift::report
