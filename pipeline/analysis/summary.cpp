#include "pipeline/analysis/summary.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numeric>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "metrics/field_metrics.hpp"
#include "pipeline/analysis/records.hpp"
#include "pipeline/analysis/report/html.hpp"
#include "pipeline/analysis/report/svg_plot.hpp"

namespace slift::pipeline {
namespace {

// A metric with its standard error drawn as a band around its line, when evaluate recorded one.
void band_for(report::SvgPlot& p, const std::vector<double>& x, const std::vector<double>& y,
              const std::vector<double>& se, const std::string& color) {
  if (se.size() != y.size() || y.empty()) return;
  std::vector<double> lo(y.size()), hi(y.size());
  for (size_t k = 0; k < y.size(); ++k) lo[k] = std::max(y[k] - se[k], y[k] * 1e-3), hi[k] = y[k] + se[k];
  p.band(x, lo, hi, color);
}

// Per set name that appears in at least two runs: the mean and standard deviation over those
// runs of each metric, the spread that separates two models once the seed changes.
nlohmann::json over_runs(const nlohmann::json& rows, const std::vector<std::string>& metrics) {
  std::map<std::string, std::vector<const nlohmann::json*>> by_set;
  for (const auto& row : rows) by_set[row["set"].get<std::string>()].push_back(&row);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, set_rows] : by_set) {
    if (set_rows.size() < 2) continue;
    nlohmann::json o = {{"runs", set_rows.size()}};
    for (const auto& m : metrics) {
      std::vector<double> v;
      for (const auto* r : set_rows)
        if ((*r).contains(m) && (*r)[m].is_number()) v.push_back((*r)[m].get<double>());
      if (v.size() < 2) continue;
      o[m] = {{"mean", std::accumulate(v.begin(), v.end(), 0.0) / v.size()},
              {"sd", metrics::sample_standard_deviation(v)},
              {"n", v.size()}};
    }
    out[name] = o;
  }
  return out;
}

// The head of a markdown table: the given columns, then one per metric.
std::string table_head(std::vector<std::string> columns, const std::vector<std::string>& metrics) {
  columns.insert(columns.end(), metrics.begin(), metrics.end());
  std::string md = "|", rule;
  for (const auto& c : columns) md += " " + c + " |", rule += "|---";
  return md + "\n" + rule + "|\n";
}

RunMetrics run_metrics(const SweepRuns& s, size_t i) { return RunMetrics::read(s.output_dir + "/" + s.run_ids[i]); }

// One row per generated set and floor of run i, in summary.json's rows and the markdown table.
void add_set_rows(const SweepRuns& s, size_t i, const RunMetrics& run, nlohmann::json& rows, std::string& md) {
  for (const auto& name : run.compared()) {
    const nlohmann::json& o = run.at(name);
    nlohmann::json row = {{"run", s.run_ids[i]}, {"set", name}};
    md += "| " + s.run_ids[i] + " | " + name;
    for (const auto& m : s.metrics) {
      row[m] = o.value(m, nlohmann::json());
      if (o.contains(m + "_se")) row[m + "_se"] = o[m + "_se"];
      md += " | " + metric_text(o, m);
    }
    md += " |\n";
    rows.push_back(row);
  }
}

// Metric m of one run against a cost (network evaluations per frame, or seconds per trajectory):
// the ARDM-K sets as a line over K, one-step models and floors as horizontal lines across the
// range; none when no set records the cost.
std::optional<report::SvgPlot> cost_plot(const std::string& run_id, const RunMetrics& run, const std::string& cost,
                                         const std::string& m) {
  const std::vector<std::string> sets = run.compared();
  std::vector<std::tuple<double, double, double>> ardm;  // (cost, metric, its standard error)
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& name : sets) {
    const auto& o = run.at(name);
    if (name.rfind("ardm", 0) == 0 && o.contains(cost) && o.contains(m) && o[m].is_number()) {
      ardm.emplace_back(o[cost].get<double>(), o[m].get<double>(), o.value(m + "_se", NAN));
      lo = std::min(lo, std::get<0>(ardm.back())), hi = std::max(hi, std::get<0>(ardm.back()));
    } else if (o.contains(cost)) {
      lo = std::min(lo, o[cost].get<double>()), hi = std::max(hi, o[cost].get<double>());
    }
  }
  if (!(lo <= hi)) return std::nullopt;
  std::sort(ardm.begin(), ardm.end());
  report::SvgPlot p(m + " vs " + cost + " (" + run_id + ")", cost, m, 440, 290);
  p.log_y(true);
  std::vector<double> x, y, se;
  for (const auto& [c, v, e] : ardm) {
    x.push_back(c), y.push_back(v);
    if (!std::isnan(e)) se.push_back(e);
  }
  band_for(p, x, y, se, report::model_color("ardm"));
  if (!x.empty()) p.line(x, y, report::model_color("ardm"), "ARDM-K");
  for (const auto& name : sets) {  // one-step models and floors: their value across the range
    const auto& o = run.at(name);
    if (name.rfind("ardm", 0) == 0 || !o.contains(m) || !o[m].is_number()) continue;
    const bool floor = name.find("floor") != std::string::npos;
    if (o.contains(m + "_se"))
      band_for(p, {lo, hi}, {o[m].get<double>(), o[m].get<double>()},
               {o[m + "_se"].get<double>(), o[m + "_se"].get<double>()}, report::model_color(name));
    p.line({lo, hi}, {o[m].get<double>(), o[m].get<double>()}, report::model_color(name),
           name + (o.contains(cost) ? " (" + std::to_string(o[cost].get<double>()).substr(0, 6) + ")" : ""), 1.6, 1.0,
           floor);
  }
  return p;
}

// The mean ± standard deviation over the runs, as a markdown table ("" when no set is in two runs).
std::string over_runs_table(const nlohmann::json& over, const std::vector<std::string>& metrics) {
  if (over.empty()) return "";
  std::string md = "\nmean ± standard deviation over the runs (e.g. seeds):\n\n" + table_head({"set", "runs"}, metrics);
  for (const auto& [name, o] : over.items()) {
    md += "| " + name + " | " + std::to_string(o["runs"].get<int>());
    for (const auto& m : metrics)
      md += " | " + (o.contains(m) ? std::to_string(o[m]["mean"].get<double>()) + " ± " + std::to_string(o[m]["sd"].get<double>())
                                   : std::string("-"));
    md += " |\n";
  }
  return md;
}

void write_summary_files(const SweepRuns& s, const nlohmann::json& summary, const std::string& md, report::Page& page) {
  write_file_atomic(s.output_dir + "/summary.json", summary.dump(2));
  write_file_atomic(s.output_dir + "/summary.md", md);
  page.paragraph("<pre>" + report::escape(md) + "</pre>");
  write_file_atomic(s.output_dir + "/summary.html", page.html());
  log::info("sweep summary: " + s.output_dir + "/summary.md\n" + md);
}

// summary.model "all": one row per generated set and floor of every run (the objects of
// metrics.json that have per-frame metrics), and each metric plotted against the network
// evaluations per frame and the sampling wall time per trajectory (ardm-vs-sl).
void write_set_summary(const SweepRuns& s) {
  nlohmann::json rows = nlohmann::json::array();
  std::string md = table_head({"run", "set"}, s.metrics);
  report::Page page(s.name + ": every generated set against its cost");
  page.paragraph("One row per generated set and floor of each run; ARDM-K is one trained model sampled with K "
                 "network evaluations per frame, SL and the deterministic model take one. Each run's own report "
                 "is in &lt;run&gt;/report/.");
  for (size_t i = 0; i < s.run_ids.size(); ++i) {
    const RunMetrics run = run_metrics(s, i);
    add_set_rows(s, i, run, rows, md);
    for (const std::string cost : {"nfe_per_frame", "seconds_per_trajectory"})
      for (const auto& m : s.metrics) {
        if (m == "nfe_per_frame" || m == "seconds_per_trajectory") continue;
        if (const auto p = cost_plot(s.run_ids[i], run, cost, m)) page.figure(p->svg());
      }
  }
  const nlohmann::json over = over_runs(rows, s.metrics);
  md += over_runs_table(over, s.metrics);
  nlohmann::json ratios = nlohmann::json::object();
  for (size_t i = 0; i < s.run_ids.size(); ++i) {
    const auto ratio = run_metrics(s, i).interpolation_ratio();
    if (!ratio) continue;
    ratios[s.run_ids[i]] = *ratio;
    md += "\ninterpolation ratio (SL / label-free final training loss), " + s.run_ids[i] + ": " +
          std::to_string(*ratio) + "\n";
  }
  write_summary_files(s,
                      {{"sweep", s.name}, {"model", s.model}, {"runs", rows}, {"over_runs", over}, {"interpolation_ratio", ratios}},
                      md, page);
}

}  // namespace

void write_summary(const SweepRuns& sweep) {
  SweepRuns s = sweep;
  if (s.metrics.empty() && !s.run_ids.empty()) {
    s.metrics = run_metrics(s, 0).json().value("headline", std::vector<std::string>{});
    s.metrics.push_back("final_train_loss");
  }
  if (s.model == "all") return write_set_summary(s);
  nlohmann::json rows = nlohmann::json::array();
  std::string md = table_head({s.x_key}, s.metrics);
  std::map<std::string, std::vector<double>> series, series_se;
  std::vector<double> xs;
  for (size_t i = 0; i < s.run_ids.size(); ++i) {
    const RunMetrics run = run_metrics(s, i);
    if (!run.has(s.model)) runtime_error("run " + s.run_ids[i] + " has no model '" + s.model + "' in metrics.json");
    nlohmann::json row = {{"run", s.run_ids[i]}, {s.x_key, YAML::Load(s.x_values[i]).as<std::string>()}};
    md += "| " + s.x_values[i];
    const nlohmann::json& set = run.at(s.model);
    for (const auto& m : s.metrics) {
      // A metric of the model, else one of the run (the interpolation ratio).
      const nlohmann::json& owner = set.contains(m) ? set : run.json();
      nlohmann::json v = owner.value(m, nlohmann::json());
      row[m] = v;
      if (set.contains(m + "_se")) row[m + "_se"] = set[m + "_se"];
      md += " | " + metric_text(owner, m);
      series[m].push_back(v.is_number() ? v.get<double>() : NAN);
      series_se[m].push_back(set.value(m + "_se", NAN));
    }
    md += " |\n";
    rows.push_back(row);
    // Non-numeric values (e.g. train.target: next, final) are plotted at their index.
    char* end = nullptr;
    const double x = std::strtod(s.x_values[i].c_str(), &end);
    xs.push_back(end != s.x_values[i].c_str() && *end == '\0' ? x : static_cast<double>(i));
  }
  report::Page page(s.name + ": sweep over " + s.x_key);
  page.paragraph("Model <b>" + report::escape(s.model) + "</b>, one run per value; each run's own report is in &lt;run&gt;/report/.");
  for (const auto& [m, ys] : series) {
    report::SvgPlot p(m, s.x_key, m);
    p.log_y(true);
    const auto& se = series_se[m];
    if (std::none_of(se.begin(), se.end(), [](double e) { return std::isnan(e); }))
      band_for(p, xs, ys, se, report::model_color(s.model));
    p.line(xs, ys, report::model_color(s.model), s.model);
    page.figure(p.svg());
  }
  write_summary_files(s, {{"sweep", s.name}, {"model", s.model}, {"runs", rows}}, md, page);
}

}  // namespace slift::pipeline
