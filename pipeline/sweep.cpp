#include "pipeline/sweep.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
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
  for (const auto& v : n) {
    YAML::Emitter em;
    em << YAML::Flow << v;
    out.push_back(em.c_str());
  }
  return out;
}

std::string leaf(const std::string& key) { return key.substr(key.rfind('.') + 1); }

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
        nlohmann::json v = metrics[name].value(m, nlohmann::json());
        row[m] = v;
        md += " | " + (v.is_number() ? std::to_string(v.get<double>()) : std::string("-"));
      }
      md += " |\n";
      rows.push_back(row);
    }
    for (const std::string& cost : {"nfe_per_frame", "seconds_per_trajectory"})
      for (const auto& m : s.metrics) {
        if (m == "nfe_per_frame" || m == "seconds_per_trajectory") continue;
        std::vector<std::pair<double, double>> ardm;  // (cost, metric)
        double lo = INFINITY, hi = -INFINITY;
        for (const auto& name : sets) {
          const auto& o = metrics[name];
          if (name.rfind("ardm", 0) == 0 && o.contains(cost) && o.contains(m) && o[m].is_number()) {
            ardm.emplace_back(o[cost].get<double>(), o[m].get<double>());
            lo = std::min(lo, ardm.back().first), hi = std::max(hi, ardm.back().first);
          } else if (o.contains(cost)) {
            lo = std::min(lo, o[cost].get<double>()), hi = std::max(hi, o[cost].get<double>());
          }
        }
        if (!(lo <= hi)) continue;
        std::sort(ardm.begin(), ardm.end());
        report::SvgPlot p(m + " vs " + cost + " (" + s.run_ids[i] + ")", cost, m, 440, 290);
        p.log_y(true);
        std::vector<double> x, y;
        for (const auto& [c, v] : ardm) x.push_back(c), y.push_back(v);
        if (!x.empty()) p.line(x, y, report::model_color("ardm"), "ARDM-K");
        for (const auto& name : sets) {  // one-step models and floors: their value across the range
          const auto& o = metrics[name];
          if (name.rfind("ardm", 0) == 0 || !o.contains(m) || !o[m].is_number()) continue;
          const bool floor = name.find("floor") != std::string::npos;
          p.line({lo, hi}, {o[m].get<double>(), o[m].get<double>()}, report::model_color(name),
                 name + (o.contains(cost) ? " (" + std::to_string(o[cost].get<double>()).substr(0, 6) + ")" : ""), 1.6, 1.0,
                 floor);
        }
        page.figure(p.svg());
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
                    nlohmann::json{{"sweep", s.name}, {"model", s.model}, {"runs", rows}, {"interpolation_ratio", ratios}}.dump(2));
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
  std::map<std::string, std::vector<double>> series;
  std::vector<double> xs;
  for (size_t i = 0; i < s.runs.size(); ++i) {
    nlohmann::json metrics = read_json(s.output_dir + "/" + s.run_ids[i] + "/metrics.json");
    if (!metrics.contains(s.model)) runtime_error("run " + s.run_ids[i] + " has no model '" + s.model + "' in metrics.json");
    nlohmann::json row = {{"run", s.run_ids[i]}, {s.x_key, YAML::Load(s.x_values[i]).as<std::string>()}};
    md += "| " + s.x_values[i];
    for (const auto& m : s.metrics) {
      nlohmann::json v = metrics[s.model].contains(m) ? metrics[s.model][m] : metrics.value(m, nlohmann::json());
      row[m] = v;
      md += " | " + (v.is_number() ? std::to_string(v.get<double>()) : std::string("-"));
      series[m].push_back(v.is_number() ? v.get<double>() : NAN);
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
  s.output_dir = root.get<std::string>("output_dir", "runs/" + s.name);
  auto fixed = root.entries("set");
  config::Section grid = root.section("grid");
  auto grid_entries = root.entries("grid");
  config::Section summary = root.section("summary");
  s.model = summary.get<std::string>("model", s.model);
  s.metrics = summary.get<std::vector<std::string>>("metrics", {"w2_mean", "final_train_loss"});
  root.finish();
  summary.finish();
  if (grid_entries.empty()) root.fail("grid", "at least one grid key is needed");
  s.x_key = grid_entries.front().first;
  fs::path base_path = fs::path(file).parent_path() / base;
  if (!fs::exists(base_path)) root.fail("base", "no such config: " + base_path.string());

  // The cartesian product of the grid, first key slowest.
  std::vector<std::vector<std::pair<std::string, std::string>>> points{{}};
  for (const auto& [key, text] : grid_entries) {
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& p : points)
      for (const auto& v : grid_values(text, key, grid)) {
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
