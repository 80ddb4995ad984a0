#include "pipeline/orchestration/sweep.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "pipeline/orchestration/experiment_stages.hpp"

namespace fs = std::filesystem;

namespace slift::pipeline {

bool is_sweep(config::Config& config) { return config.root().has("grid"); }

namespace {

std::vector<std::string> grid_values(const std::string& flow_text, const std::string& key, config::Section& grid) {
  YAML::Node n = YAML::Load(flow_text);
  if (!n.IsSequence() || n.size() == 0) grid.fail(key, "expected a non-empty list of values");
  std::vector<std::string> out;
  std::map<std::string, std::string> seen;  // a value as compared (numbers by value) -> as written
  for (const auto& v : n) {
    YAML::Emitter em;
    em << YAML::Flow << v;
    const std::string text = em.c_str();
    // A value names its run's directory: one path component, and one run per value.
    if (text.empty() || std::any_of(text.begin(), text.end(), [](char c) { return c == '/' || c == '\\' || std::iscntrl(c); }))
      grid.fail(key, "value '" + text + "' cannot name a run directory (no '/', '\\' or control characters)");
    // 0.1, 0.10 and 1e-1 are one value: numbers are compared as numbers.
    std::string value = text;
    char* end = nullptr;
    const double number = v.IsScalar() ? std::strtod(text.c_str(), &end) : 0;
    if (end && end != text.c_str() && *end == '\0' && std::isfinite(number)) {
      char canonical[32];
      std::snprintf(canonical, sizeof canonical, "%.17g", number);
      value = canonical;
    }
    if (const auto [it, fresh] = seen.emplace(value, text); !fresh)
      grid.fail(key, "value '" + text + "' is listed twice" + (it->second == text ? "" : " (as '" + it->second + "')"));
    out.push_back(text);
  }
  return out;
}

std::string leaf(const std::string& key) { return key.substr(key.rfind('.') + 1); }

// What a run computes: every stage's parameters and inputs, without the run's place in the sweep.
std::string computation(const Experiment& e) {
  std::string text;
  for (const Stage& st : experiment_stages(e)) {
    text += st.name + "|" + st.params;
    for (const auto& in : st.inputs) text += "|" + in;
    text += "\n";
  }
  return text;
}

}  // namespace

Sweep load_sweep(const std::string& file, const std::vector<std::string>& overrides) {
  return load_sweep(config::Config::load(file, overrides));
}

Sweep load_sweep(config::Config cfg) {
  Sweep s;
  const std::string& file = cfg.file();
  s.file = file;
  config::Section root = cfg.root();
  s.name = root.required<std::string>("name", run_name());
  std::string base = root.required<std::string>("base");
  s.output_dir = root.get<std::string>("output_dir", "runs/" + s.name, run_directory());
  auto fixed = root.entries("set");
  config::Section grid = root.section("grid");
  auto grid_entries = root.entries("grid");
  config::Section summary = root.section("summary");
  s.model = summary.get<std::string>("model", s.model);
  s.metrics = summary.get<std::vector<std::string>>("metrics", {});  // none: the first run's headline metrics
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
  std::map<std::string, size_t> by_computation;  // what a run computes -> the first run that does
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
    // A grid key that no stage reads (output_dir) would compute one thing under two names.
    if (const auto [first, fresh] = by_computation.emplace(computation(*e), s.runs.size()); !fresh) {
      const auto& other = points[first->second];
      size_t g = 0;
      while (g + 1 < point.size() && point[g].second == other[g].second) ++g;
      grid.fail(point[g].first, "runs '" + s.run_ids[first->second] + "' and '" + id +
                                    "' would compute the same: the key changes no stage's parameters or inputs");
    }
    // Runs with the same simulate parameters (and seed) share one data directory and stage.
    const std::string key = sha256(config::canonical(e->simulate_params) + "|seed=" + std::to_string(e->seed)).substr(0, 10);
    StageLayout layout;
    layout.run_prefix = id + "/";
    layout.data_rel = "data-" + key;
    layout.simulate_name = "simulate@" + key;
    e->data_dir = s.output_dir + "/" + layout.data_rel;
    s.run_ids.push_back(id);
    s.x_values.push_back(point.front().second);
    s.runs.push_back(std::move(e));
    s.layouts.push_back(layout);
  }
  return s;
}

std::vector<Stage> sweep_stages(const Sweep& s) {
  std::vector<Stage> all;
  std::set<std::string> simulated;  // shared simulate stages already in the DAG
  std::vector<std::string> metrics_files, evaluate_stages;
  for (size_t i = 0; i < s.runs.size(); ++i) {
    const StageLayout& layout = s.layouts[i];
    for (auto& st : experiment_stages(*s.runs[i], layout)) {
      if (st.name == layout.simulate_name && simulated.count(st.name)) continue;
      all.push_back(std::move(st));
    }
    simulated.insert(layout.simulate_name);
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
