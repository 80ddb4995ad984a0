#include "pipeline/sweep.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <tuple>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "learner/metrics/field_metrics.hpp"
#include "pipeline/experiment_stages.hpp"
#include "pipeline/json_file.hpp"
#include "pipeline/report/html.hpp"
#include "pipeline/report/svg_plot.hpp"

namespace fs = std::filesystem;

namespace slift::pipeline {

bool is_sweep_file(const std::string& file) {
  try {
    YAML::Node n = YAML::LoadFile(file);
    return n.IsMap() && n["grid"];
  } catch (const YAML::Exception&) {
    return false;  // the experiment loader reports syntax errors with the line
  }
}

namespace {

std::vector<std::string> grid_values(const std::string& flow_text, const std::string& key, config::Section& grid) {
  YAML::Node n = YAML::Load(flow_text);
  if (!n.IsSequence() || n.size() == 0) grid.fail(key, "expected a non-empty list of values");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& v : n) {
    YAML::Emitter em;
    em << YAML::Flow << v;
    const std::string text = em.c_str();
    // A value names its run's directory: one path component, and one run per value.
    if (text.empty() || std::any_of(text.begin(), text.end(), [](char c) { return c == '/' || c == '\\' || std::iscntrl(c); }))
      grid.fail(key, "value '" + text + "' cannot name a run directory (no '/', '\\' or control characters)");
    if (!seen.insert(text).second) grid.fail(key, "value '" + text + "' is listed twice");
    out.push_back(text);
  }
  return out;
}

std::string leaf(const std::string& key) { return key.substr(key.rfind('.') + 1); }

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

// summary.model "all": one row per generated set and floor of every run (the objects of
// metrics.json that have per-frame metrics), and each metric plotted against the network
// evaluations per frame and the sampling wall time per trajectory: the ARDM-K sets as a line
// over K, one-step models and floors as horizontal lines (ardm-vs-sl).
void write_set_summary(const Sweep& s) {
  nlohmann::json rows = nlohmann::json::array();
  std::string md = "| run | set";
  for (const auto& m : s.metrics) md += " | " + m;
  md += " |\n|---|---";
  for (size_t i = 0; i < s.metrics.size(); ++i) md += "|---";
  md += "|\n";
  report::Page page(s.name + ": every generated set against its cost");
  page.paragraph("One row per generated set and floor of each run; ARDM-K is one trained model sampled with K "
                 "network evaluations per frame, SL and the deterministic model take one. Each run's own report "
                 "is in &lt;run&gt;/report/.");
  std::vector<std::string> figures;
  for (size_t i = 0; i < s.runs.size(); ++i) {
    nlohmann::json metrics = read_json(s.output_dir + "/" + s.run_ids[i] + "/metrics.json");
    std::vector<std::string> sets;
    for (const auto& [name, v] : metrics.items())
      if (v.is_object() && v.contains("per_time")) sets.push_back(name);
    for (const auto& name : sets) {
      nlohmann::json row = {{"run", s.run_ids[i]}, {"set", name}};
      md += "| " + s.run_ids[i] + " | " + name;
      for (const auto& m : s.metrics) {
        row[m] = metrics[name].value(m, nlohmann::json());
        if (metrics[name].contains(m + "_se")) row[m + "_se"] = metrics[name][m + "_se"];
        md += " | " + metric_text(metrics[name], m);
      }
      md += " |\n";
      rows.push_back(row);
    }
    for (const std::string cost : {"nfe_per_frame", "seconds_per_trajectory"})
      for (const auto& m : s.metrics) {
        if (m == "nfe_per_frame" || m == "seconds_per_trajectory") continue;
        std::vector<std::tuple<double, double, double>> ardm;  // (cost, metric, its standard error)
        double lo = INFINITY, hi = -INFINITY;
        for (const auto& name : sets) {
          const auto& o = metrics[name];
          if (name.rfind("ardm", 0) == 0 && o.contains(cost) && o.contains(m) && o[m].is_number()) {
            ardm.emplace_back(o[cost].get<double>(), o[m].get<double>(), o.value(m + "_se", NAN));
            lo = std::min(lo, std::get<0>(ardm.back())), hi = std::max(hi, std::get<0>(ardm.back()));
          } else if (o.contains(cost)) {
            lo = std::min(lo, o[cost].get<double>()), hi = std::max(hi, o[cost].get<double>());
          }
        }
        if (!(lo <= hi)) continue;
        std::sort(ardm.begin(), ardm.end());
        report::SvgPlot p(m + " vs " + cost + " (" + s.run_ids[i] + ")", cost, m, 440, 290);
        p.log_y(true);
        std::vector<double> x, y, se;
        for (const auto& [c, v, e] : ardm) {
          x.push_back(c), y.push_back(v);
          if (!std::isnan(e)) se.push_back(e);
        }
        band_for(p, x, y, se, report::model_color("ardm"));
        if (!x.empty()) p.line(x, y, report::model_color("ardm"), "ARDM-K");
        for (const auto& name : sets) {  // one-step models and floors: their value across the range
          const auto& o = metrics[name];
          if (name.rfind("ardm", 0) == 0 || !o.contains(m) || !o[m].is_number()) continue;
          const bool floor = name.find("floor") != std::string::npos;
          if (o.contains(m + "_se"))
            band_for(p, {lo, hi}, {o[m].get<double>(), o[m].get<double>()},
                     {o[m + "_se"].get<double>(), o[m + "_se"].get<double>()}, report::model_color(name));
          p.line({lo, hi}, {o[m].get<double>(), o[m].get<double>()}, report::model_color(name),
                 name + (o.contains(cost) ? " (" + std::to_string(o[cost].get<double>()).substr(0, 6) + ")" : ""), 1.6, 1.0,
                 floor);
        }
        page.figure(p.svg());
      }
  }
  const nlohmann::json over = over_runs(rows, s.metrics);
  if (!over.empty()) {
    md += "\nmean ± standard deviation over the runs (e.g. seeds):\n\n| set | runs";
    for (const auto& m : s.metrics) md += " | " + m;
    md += " |\n|---|---";
    for (size_t i = 0; i < s.metrics.size(); ++i) md += "|---";
    md += "|\n";
    for (const auto& [name, o] : over.items()) {
      md += "| " + name + " | " + std::to_string(o["runs"].get<int>());
      for (const auto& m : s.metrics)
        md += " | " + (o.contains(m) ? std::to_string(o[m]["mean"].get<double>()) + " ± " + std::to_string(o[m]["sd"].get<double>())
                                     : std::string("-"));
      md += " |\n";
    }
  }
  nlohmann::json ratios = nlohmann::json::object();
  for (size_t i = 0; i < s.runs.size(); ++i) {
    nlohmann::json metrics = read_json(s.output_dir + "/" + s.run_ids[i] + "/metrics.json");
    if (!metrics.contains("interpolation_ratio")) continue;
    ratios[s.run_ids[i]] = metrics["interpolation_ratio"];
    md += "\ninterpolation ratio (SL / label-free final training loss), " + s.run_ids[i] + ": " +
          std::to_string(metrics["interpolation_ratio"].get<double>()) + "\n";
  }
  write_file_atomic(s.output_dir + "/summary.json",
                    nlohmann::json{{"sweep", s.name}, {"model", s.model}, {"runs", rows}, {"over_runs", over},
                                   {"interpolation_ratio", ratios}}
                        .dump(2));
  write_file_atomic(s.output_dir + "/summary.md", md);
  page.paragraph("<pre>" + md + "</pre>");
  write_file_atomic(s.output_dir + "/summary.html", page.html());
  log::info("sweep summary: " + s.output_dir + "/summary.md\n" + md);
}

void write_summary(const Sweep& s) {
  if (s.model == "all") return write_set_summary(s);
  nlohmann::json rows = nlohmann::json::array();
  std::string md = "| " + s.x_key;
  for (const auto& m : s.metrics) md += " | " + m;
  md += " |\n|---";
  for (size_t i = 0; i < s.metrics.size(); ++i) md += "|---";
  md += "|\n";
  std::map<std::string, std::vector<double>> series, series_se;
  std::vector<double> xs;
  for (size_t i = 0; i < s.runs.size(); ++i) {
    nlohmann::json metrics = read_json(s.output_dir + "/" + s.run_ids[i] + "/metrics.json");
    if (!metrics.contains(s.model)) runtime_error("run " + s.run_ids[i] + " has no model '" + s.model + "' in metrics.json");
    nlohmann::json row = {{"run", s.run_ids[i]}, {s.x_key, YAML::Load(s.x_values[i]).as<std::string>()}};
    md += "| " + s.x_values[i];
    for (const auto& m : s.metrics) {
      const nlohmann::json& set = metrics[s.model];
      nlohmann::json v = set.contains(m) ? set[m] : metrics.value(m, nlohmann::json());
      row[m] = v;
      if (set.contains(m + "_se")) row[m + "_se"] = set[m + "_se"];
      md += " | " + metric_text(set.contains(m) ? set : metrics, m);
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
  write_file_atomic(s.output_dir + "/summary.json", nlohmann::json{{"sweep", s.name}, {"model", s.model}, {"runs", rows}}.dump(2));
  write_file_atomic(s.output_dir + "/summary.md", md);
  report::Page page(s.name + ": sweep over " + s.x_key);
  page.paragraph("Model <b>" + s.model + "</b>, one run per value; each run's own report is in &lt;run&gt;/report/.");
  for (const auto& [m, ys] : series) {
    report::SvgPlot p(m, s.x_key, m);
    p.log_y(true);
    const auto& se = series_se[m];
    if (std::none_of(se.begin(), se.end(), [](double e) { return std::isnan(e); }))
      band_for(p, xs, ys, se, report::model_color(s.model));
    p.line(xs, ys, report::model_color(s.model), s.model);
    page.figure(p.svg());
  }
  page.paragraph("<pre>" + md + "</pre>");
  write_file_atomic(s.output_dir + "/summary.html", page.html());
  log::info("sweep summary: " + s.output_dir + "/summary.md\n" + md);
}

}  // namespace

Sweep load_sweep(const std::string& file, const std::vector<std::string>& overrides) {
  Sweep s;
  s.file = file;
  config::Config cfg = config::Config::load(file, overrides);
  config::Section root = cfg.root();
  s.name = root.required<std::string>("name");
  std::string base = root.required<std::string>("base");
  s.output_dir = root.get<std::string>("output_dir", "runs/" + s.name, run_directory());
  auto fixed = root.entries("set");
  config::Section grid = root.section("grid");
  auto grid_entries = root.entries("grid");
  config::Section summary = root.section("summary");
  s.model = summary.get<std::string>("model", s.model);
  s.metrics = summary.get<std::vector<std::string>>("metrics", {"w2_mean", "final_train_loss"});
  // Every run is an experiment held in memory (its resolved config, about 150 KB) and trains its
  // models: a grid beyond this is a typo more often than a plan, and a plan can raise it.
  const int64_t max_runs = root.get<int64_t>("max_runs", 10000, config::at_least(1));
  root.finish();
  summary.finish();
  if (grid_entries.empty()) root.fail("grid", "at least one grid key is needed");
  s.x_key = grid_entries.front().first;
  fs::path base_path = fs::path(file).parent_path() / base;
  if (!fs::exists(base_path)) root.fail("base", "no such config: " + base_path.string());

  // The cartesian product of the grid, first key slowest.
  std::vector<std::vector<std::string>> values;
  double runs = 1;
  for (const auto& [key, text] : grid_entries) values.push_back(grid_values(text, key, grid)), runs *= values.back().size();
  if (runs > static_cast<double>(max_runs))
    root.fail("grid", "expands to " + std::to_string(static_cast<int64_t>(runs)) + " runs, more than max_runs = " +
                          std::to_string(max_runs) + "; raise it with --set max_runs=N if meant");
  std::vector<std::vector<std::pair<std::string, std::string>>> points{{}};
  for (size_t g = 0; g < grid_entries.size(); ++g) {
    const std::string& key = grid_entries[g].first;
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& p : points)
      for (const auto& v : values[g]) {
        auto q = p;
        q.emplace_back(key, v);
        next.push_back(q);
      }
    points = next;
  }
  for (const auto& point : points) {
    std::vector<std::string> ov;
    for (const auto& [k, v] : fixed) ov.push_back(k + "=" + v);
    std::string id;
    for (const auto& [k, v] : point) {
      ov.push_back(k + "=" + v);
      id += (id.empty() ? "" : ",") + leaf(k) + "=" + v;
    }
    ov.push_back("output_dir=" + s.output_dir + "/" + id);
    auto e = std::make_unique<Experiment>(load_experiment(base_path.string(), ov));
    s.run_ids.push_back(id);
    s.x_values.push_back(point.front().second);
    s.runs.push_back(std::move(e));
  }
  return s;
}

std::vector<Stage> sweep_stages(const Sweep& s) {
  std::vector<Stage> all;
  std::map<std::string, bool> simulated;
  std::vector<std::string> metrics_files, evaluate_stages;
  for (size_t i = 0; i < s.runs.size(); ++i) {
    Experiment& e = *s.runs[i];
    // Runs with the same simulate parameters (and seed) share one data directory and stage.
    std::string key = sha256(config::canonical(e.simulate_params) + "|seed=" + std::to_string(e.seed)).substr(0, 10);
    StageLayout layout;
    layout.run_prefix = s.run_ids[i] + "/";
    layout.data_rel = "data-" + key;
    layout.simulate_name = "simulate@" + key;
    e.data_dir = s.output_dir + "/" + layout.data_rel;
    for (auto& st : experiment_stages(e, layout)) {
      if (st.name == layout.simulate_name && simulated[key]) continue;
      all.push_back(std::move(st));
    }
    simulated[key] = true;
    metrics_files.push_back(layout.run_prefix + "metrics.json");
    evaluate_stages.push_back(layout.run_prefix + "evaluate");
  }
  std::string params = s.x_key + "|" + s.model;
  for (const auto& m : s.metrics) params += "|" + m;
  all.push_back({"summary", 1, params, metrics_files, {"summary.json", "summary.md", "summary.html"}, evaluate_stages,
                 [&s] { write_summary(s); }});
  // Simulate stages first, so that the stage list stays in dependency order.
  std::stable_partition(all.begin(), all.end(), [](const Stage& st) { return st.name.rfind("simulate@", 0) == 0; });
  return all;
}

}  // namespace slift::pipeline
