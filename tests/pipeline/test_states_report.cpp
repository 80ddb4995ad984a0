// The report of a "states" experiment names each component the data have, and only those: a
// one-component system, and a file without state_names (the format allows it; the components are
// then named by their index, as in the metric keys).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/dataset.hpp"
#include "metrics/trajectory_metrics.hpp"
#include "pipeline/analysis/records.hpp"
#include "pipeline/analysis/report.hpp"
#include "support/test_support.hpp"

namespace {

using namespace slift;

constexpr int64_t kTraj = 40, kTime = 8;

// kTraj trajectories of `dim` components, distinct per trajectory, time and component; `shift`
// moves the whole ensemble (a generated set that is not the truth).
metrics::Ensemble ensemble(int64_t dim, const std::vector<std::string>& names, double shift) {
  metrics::Ensemble e{{}, kTraj, kTime, dim, names};
  for (int64_t i = 0; i < kTraj; ++i)
    for (int64_t t = 0; t < kTime; ++t)
      for (int64_t k = 0; k < dim; ++k) e.data.push_back(static_cast<float>(std::sin(0.37 * i + 0.5 * t + k) + shift));
  return e;
}

void write_states(const std::string& path, const metrics::Ensemble& e) {
  DatasetHeader h;
  h.kind = "states";
  h.dataset_name = "states_report_test";
  for (int64_t t = 0; t < e.n_time; ++t) h.time.push_back(0.1 * static_cast<double>(t));
  h.state_names = e.names;
  h.params_hash = "states_report_test";
  ArraySpec spec;
  spec.path = "states";
  spec.shape = {static_cast<uint64_t>(e.n_time), static_cast<uint64_t>(e.dim)};
  DatasetWriter w(path, h, {spec}, static_cast<uint64_t>(e.n));
  w.write(0, 0, static_cast<uint64_t>(e.n), e.data.data());
  w.commit(static_cast<uint64_t>(e.n));
  w.finish();
}

nlohmann::json to_json(const metrics::StateMetrics& m) {
  nlohmann::json j = m.summary;
  j["per_time"] = m.per_time;
  return j;
}

// Writes the test set and the sets of the default models (sl, deterministic), their metrics as
// evaluate computes them, then runs the report stage; returns report/index.html.
std::string report_of(const test::TempDir& dir, int64_t dim, const std::vector<std::string>& names) {
  pipeline::Experiment e;
  e.name = "states_report_test";
  e.output_dir = dir.path();
  e.data_dir = dir / "data";
  std::filesystem::create_directories(e.data_dir);
  std::filesystem::create_directories(dir / "samples");
  const metrics::Ensemble truth = ensemble(dim, names, 0.0), floor = ensemble(dim, names, 0.01);
  write_states(pipeline::data_path(e, "test"), truth);
  pipeline::RunMetrics m;
  m["n_test"] = kTraj;
  m["data_floor"] = to_json(metrics::compare_states(floor, truth, 16, 1));
  double shift = 0.1;
  for (const auto& set : pipeline::sample_sets(e)) {
    const metrics::Ensemble gen = ensemble(dim, names, shift += 0.1);
    write_states(dir / ("samples/" + set.name + ".h5"), gen);
    m[set.name] = to_json(metrics::compare_states(gen, truth, 16, 1));
  }
  m.write(e.output_dir);
  pipeline::report_stage(e);
  return test::read_file(dir / "report/index.html");
}

// The metric rows of the report's table that are per-component W2 ("w2_<name>_mean").
std::vector<std::string> component_rows(const std::string& html) {
  std::vector<std::string> rows;
  const std::string open = "<td class='key'>w2_";
  for (size_t at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
    const size_t begin = at + open.size() - 3, end = html.find("</td>", begin);
    if (const std::string key = html.substr(begin, end - begin); key != "w2_mean") rows.push_back(key);
  }
  return rows;
}

}  // namespace

TEST(StatesReport, OneComponentSystemReportsThatComponentOnly) {
  test::TempDir dir;
  const std::string html = report_of(dir, 1, {"u"});
  EXPECT_EQ(component_rows(html), std::vector<std::string>{"w2_u_mean"});
  EXPECT_NE(html.find("u over time"), std::string::npos);
}

TEST(StatesReport, FileWithoutStateNamesNamesComponentsByIndex) {
  test::TempDir dir;
  const std::string html = report_of(dir, 2, {});
  EXPECT_EQ(component_rows(html), (std::vector<std::string>{"w2_0_mean", "w2_1_mean"}));
  EXPECT_NE(html.find("1 over time"), std::string::npos);
}

TEST(StatesReport, NamedComponentsKeepTheirNames) {
  test::TempDir dir;
  const std::string html = report_of(dir, 2, {"x", "v"});
  EXPECT_EQ(component_rows(html), (std::vector<std::string>{"w2_x_mean", "w2_v_mean"}));
}
