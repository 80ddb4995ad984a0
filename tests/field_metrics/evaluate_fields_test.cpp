// `slift evaluate` and `slift report` on a tiny synthetic run directory of a wave-like "fields"
// dataset: rings expanding at a random speed per trajectory. Generated sets stand in for models:
// `sl` fresh draws from the same law, `deterministic` the mean speed for all (collapse),
// `ardm_k2` a copy of the training set (memorisation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/dataset.hpp"
#include "core/rng.hpp"
#include "metrics/field_metrics.hpp"
#include "pipeline/analysis/evaluate.hpp"
#include "pipeline/analysis/report.hpp"
#include "support/test_support.hpp"

namespace slift {
namespace {

constexpr int64_t kN = 48, kFrames = 17, kGrid = 8;

// Ring of radius speed * t around the centre with a negative trailing lobe (signed, like the wave).
void write_rings(const std::string& path, uint64_t seed, const std::string& bc, double fixed_speed = 0) {
  DatasetHeader h;
  h.kind = "fields";
  h.dataset_name = "rings";
  for (int64_t t = 0; t < kFrames; ++t) h.time.push_back(0.25 * t);
  h.axes = {{"x", {}}, {"y", {}}};
  for (int64_t i = 0; i < kGrid; ++i) h.axes[0].coordinates.push_back(i + 0.5), h.axes[1].coordinates.push_back(i + 0.5);
  h.boundary_conditions = {{"x", bc, {"x"}}, {"y", bc, {"y"}}};
  h.params_hash = "rings-" + std::to_string(seed);
  std::vector<float> u(kN * kFrames * kGrid * kGrid);
  for (int64_t n = 0; n < kN; ++n) {
    Rng rng(seed, n, "test.rings");
    double speed = fixed_speed > 0 ? fixed_speed : 0.5 + 1.5 * rng.uniform();
    for (int64_t t = 0; t < kFrames; ++t)
      for (int64_t i = 0; i < kGrid; ++i)
        for (int64_t j = 0; j < kGrid; ++j) {
          double d = std::hypot(i + 0.5 - 4, j + 0.5 - 4), r = speed * h.time[t];
          u[((n * kFrames + t) * kGrid + i) * kGrid + j] =
              float(std::exp(-(d - r) * (d - r) / 0.5) - 0.3 * std::exp(-(d - r + 1) * (d - r + 1) / 0.5));
        }
  }
  const uint64_t g = kGrid, f = kFrames;
  DatasetWriter w(path, h, {{"t0_fields/u", {f, g, g}, true, {true, true}}}, kN);
  w.write(0, 0, kN, u.data());
  w.finish();
}

// Metastable fields on a grid of any shape: every trajectory sits near +0.8 with a ripple and jumps
// to -0.8 at a random frame (or never: frame kFrames), like the Allen-Cahn equation's wells.
// `jump_at` fixes the frame of every trajectory instead (a model that never jumps: kFrames).
void write_jumps(const std::string& path, uint64_t seed, const std::vector<int64_t>& shape, int64_t jump_at = -1) {
  DatasetHeader h;
  h.kind = "fields";
  h.dataset_name = "jumps";
  for (int64_t t = 0; t < kFrames; ++t) h.time.push_back(0.25 * t);
  const char* names[] = {"x", "y", "z"};
  int64_t cells = 1;
  std::vector<uint64_t> dims{uint64_t(kFrames)};
  for (size_t a = 0; a < shape.size(); ++a) {
    h.axes.push_back({names[a], {}});
    for (int64_t i = 0; i < shape[a]; ++i) h.axes[a].coordinates.push_back(i);
    h.boundary_conditions.push_back({std::string("periodic_") + names[a], "PERIODIC", {names[a]}});
    cells *= shape[a], dims.push_back(uint64_t(shape[a]));
  }
  h.params_hash = "jumps-" + std::to_string(seed);
  std::vector<float> u(kN * kFrames * cells);
  for (int64_t n = 0; n < kN; ++n) {
    Rng rng(seed, n, "test.jumps");
    const int64_t jump = jump_at >= 0 ? jump_at : static_cast<int64_t>(rng.below(kFrames + 1));
    for (int64_t t = 0; t < kFrames; ++t)
      for (int64_t c = 0; c < cells; ++c)
        u[(n * kFrames + t) * cells + c] = float((t < jump ? 0.8 : -0.8) + 0.1 * std::sin(0.7 * c + t + n));
  }
  DatasetWriter w(path, h, {{"t0_fields/u", dims, true, std::vector<bool>(shape.size(), true)}}, kN);
  w.write(0, 0, kN, u.data());
  w.finish();
}

struct RunDir {
  test::TempDir dir{"slift-fields"};
  pipeline::Experiment e;
  explicit RunDir(const std::string& bc) {
    for (const char* d : {"data", "samples", "models", "report"}) std::filesystem::create_directories(dir / d);
    write_rings(dir / "data/train.h5", 1, bc);
    write_rings(dir / "data/test.h5", 2, bc);
    write_rings(dir / "data/floor.h5", 3, bc);
    write_rings(dir / "samples/sl.h5", 4, bc);
    write_rings(dir / "samples/deterministic.h5", 5, bc, 1.25);
    write_rings(dir / "samples/ardm_k2.h5", 1, bc);
    test::write_file(dir / "models/sl.json", R"({"final_loss": 1e-4})");
    test::write_file(dir / "models/deterministic.json", R"({"final_loss": 1e-2})");
    test::write_file(dir / "models/ardm.json", R"({"final_loss": 5e-2})");
    test::write_file(dir / "samples/sl.json", R"({"nfe_per_step": 1, "seconds_per_trajectory": 0.01})");
    test::write_file(dir / "samples/deterministic.json", R"({"nfe_per_step": 1, "seconds_per_trajectory": 0.01})");
    test::write_file(dir / "samples/ardm_k2.json", R"({"nfe_per_step": 2, "seconds_per_trajectory": 0.02})");
    e.name = "rings";
    e.output_dir = dir.path();
    e.data_dir = dir / "data";
    e.train.models = {"sl", "deterministic", "ardm"};
    e.sample.ardm_steps = {2};
  }
  // The same run on jumping fields of the given grid: sl draws from the same law, deterministic
  // never jumps, ardm_k2 copies the training set.
  explicit RunDir(const std::vector<int64_t>& shape) : RunDir("PERIODIC") {
    write_jumps(dir / "data/train.h5", 1, shape);
    write_jumps(dir / "data/test.h5", 2, shape);
    write_jumps(dir / "data/floor.h5", 3, shape);
    write_jumps(dir / "samples/sl.h5", 4, shape);
    write_jumps(dir / "samples/deterministic.h5", 5, shape, kFrames);
    write_jumps(dir / "samples/ardm_k2.h5", 1, shape);
    e.evaluate.headline = {"wtt", "wim"};
  }
  nlohmann::json metrics() const { return nlohmann::json::parse(test::read_file(dir / "metrics.json")); }
};

// A metric registered here, in the test binary alone: the largest normalised value of a set
// against the reference's. Evaluate and report know it from its registration only.
void toy_peak_metric(const metrics::FieldEnsemble& gen, const metrics::FieldEnsemble& ref, const metrics::FieldMetricOptions&,
                     metrics::FieldMetrics& out) {
  auto peak = [](const metrics::FieldEnsemble& e) { return *std::max_element(e.data.begin(), e.data.end()); };
  out.summary["toy_peak"] = std::abs(double(peak(gen)) - peak(ref));
}
SLIFT_REGISTER_FIELD_METRIC(toy_peak, toy_peak_metric, [](metrics::MetricInfo& m) { m.rows = {"toy_peak_detail"}; });

}  // namespace

TEST(EvaluateFields, MetricsOfEverySetAndFloor) {
  RunDir run("PERIODIC");
  pipeline::evaluate_stage(run.e);
  nlohmann::json m = run.metrics();
  EXPECT_EQ(m["normalisation"]["range"], "[-1, 1]");
  EXPECT_EQ(m["crossing"]["mask"], "edges");  // periodic data
  EXPECT_NEAR(m["interpolation_ratio"].get<double>(), 1e-2, 1e-12);
  for (const char* set : {"sl", "deterministic", "ardm_k2", "sampling_floor", "data_floor"})
    for (const char* key : {"wct", "wim", "w2_energy_mean", "w2_points_mean", "crossing_std"})
      EXPECT_TRUE(m[set].contains(key)) << set << " " << key;
  for (const char* set : {"sl", "deterministic", "ardm_k2"})  // bootstrap standard errors (evaluate.bootstrap: 200)
    for (const char* key : {"wct_se", "wim_se"}) EXPECT_GT(m[set].value(key, -1.0), 0.0) << set << " " << key;
  for (const char* set : {"sl", "deterministic", "ardm_k2"})
    for (const char* key : {"nfe_per_frame", "seconds_per_trajectory", "final_train_loss", "memorisation"})
      EXPECT_TRUE(m[set].contains(key)) << set << " " << key;
  EXPECT_EQ(m["ardm_k2"]["nfe_per_frame"], 2);
  // The truth has a spread of crossing times; the collapsed model has none and is far off.
  EXPECT_GT(m["sampling_floor"]["crossing_std"].get<double>(), 0.05);
  EXPECT_LT(m["deterministic"]["crossing_std"].get<double>(), 1e-12);
  EXPECT_GT(m["deterministic"]["wct"].get<double>(), 2 * m["sl"]["wct"].get<double>());
  EXPECT_GT(m["deterministic"]["wim"].get<double>(), 2 * m["sl"]["wim"].get<double>());
  // A copy of the training set scores exactly the data floor and is flagged as memorised.
  for (const char* key : {"wct", "wim", "w2_energy_mean", "w2_points_mean"})
    EXPECT_EQ(m["ardm_k2"][key], m["data_floor"][key]) << key;
  EXPECT_EQ(m["ardm_k2"]["memorisation"]["median_ratio"].get<double>(), 0.0);
  EXPECT_GT(m["sl"]["memorisation"]["median_ratio"].get<double>(), 0.1);
  EXPECT_GT(m["sampling_floor"]["memorisation"]["median_ratio"].get<double>(), 0.1);
  EXPECT_EQ(m["memorisation_train"]["distances"].size(), size_t(kN));
}

TEST(EvaluateFields, WallsUseTheCornerMaskAndOptions) {
  RunDir run("WALL");
  run.e.evaluate.corner_size = 3;
  run.e.evaluate.crossing_threshold = 0.2;
  run.e.evaluate.points = {0.5, 0.5};
  pipeline::evaluate_stage(run.e);
  nlohmann::json m = run.metrics();
  EXPECT_EQ(m["crossing"]["mask"], "corner");
  EXPECT_EQ(m["crossing"]["corner_size"], 3);
  EXPECT_EQ(m["crossing"]["threshold"], 0.2);
  EXPECT_EQ(m["points"], nlohmann::json::parse("[[4, 4]]"));
  EXPECT_TRUE(m["sl"]["per_time"].contains("w2_point0"));
  EXPECT_FALSE(m["sl"]["per_time"].contains("w2_point1"));
  // Three fractions are no points of a 2-D grid: refused as the config's error (exit code 2).
  run.e.evaluate.points = {0.5, 0.5, 0.5};
  try {
    pipeline::evaluate_stage(run.e);
    ADD_FAILURE() << "odd points accepted";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ExitCode::usage);
    EXPECT_NE(std::string(err.what()).find("evaluate.points: 3 fractions are no points of a grid of 2 axes"), std::string::npos);
  }
}

TEST(EvaluateFields, ARegisteredMetricReachesMetricsAndReport) {
  RunDir run("PERIODIC");
  pipeline::evaluate_stage(run.e);
  pipeline::report_stage(run.e);
  nlohmann::json m = run.metrics();
  for (const char* set : {"sl", "deterministic", "ardm_k2", "sampling_floor", "data_floor"})
    EXPECT_TRUE(m[set].contains("toy_peak")) << set;
  EXPECT_EQ(m["ardm_k2"]["toy_peak"], m["data_floor"]["toy_peak"]);  // a copy of the training set
  const std::string html = test::read_file(run.dir / "report/index.html");
  EXPECT_NE(html.find("<td class='key'>toy_peak</td>"), std::string::npos);
  EXPECT_EQ(html.find("toy_peak_detail"), std::string::npos);  // no set has it: no row
}

TEST(EvaluateFields, TransitionTimeWhereTheConfigAsksForIt) {
  RunDir run("PERIODIC");
  pipeline::evaluate_stage(run.e);
  EXPECT_FALSE(run.metrics()["sl"].contains("wtt"));  // not a metric of every field data set
  EXPECT_FALSE(run.metrics().contains("transition"));
  run.e.evaluate.headline = {"wtt"};
  run.e.evaluate.transition_threshold = 0.05;
  pipeline::evaluate_stage(run.e);
  pipeline::report_stage(run.e);
  nlohmann::json m = run.metrics();
  for (const char* set : {"sl", "deterministic", "ardm_k2", "sampling_floor", "data_floor"})
    for (const char* key : {"wtt", "wtt_se", "never_transitioned", "transition_times", "wct", "wim"})
      EXPECT_TRUE(m[set].contains(key)) << set << " " << key;
  EXPECT_EQ(m["transition"]["reference_times"].size(), size_t(kN));
  EXPECT_EQ(m["ardm_k2"]["wtt"], m["data_floor"]["wtt"]);
  EXPECT_EQ(m["headline"], nlohmann::json::array({"wtt"}));  // recorded for a sweep's summary
  const std::string html = test::read_file(run.dir / "report/index.html");
  EXPECT_NE(html.find("transition time: truth vs sl"), std::string::npos);
  EXPECT_NE(html.find("SL's wtt is"), std::string::npos);  // the verdict reads the headline
  run.e.evaluate.headline = {"no_such_metric"};
  EXPECT_THROW(pipeline::evaluate_stage(run.e), Error);
}

TEST(EvaluateFields, OneDimensionalFieldsAndTheirTransitionTimes) {
  RunDir run(std::vector<int64_t>{12});
  run.e.evaluate.points = {0.5};
  pipeline::evaluate_stage(run.e);
  pipeline::report_stage(run.e);
  nlohmann::json m = run.metrics();
  EXPECT_EQ(m["crossing"]["mask"], "edges");  // a periodic axis
  EXPECT_EQ(m["points"], nlohmann::json::parse("[[6]]"));
  // The model that never jumps is far off in its transition times; a fresh draw is near the floors.
  EXPECT_NEAR(m["deterministic"]["never_transitioned"].get<double>(), 1.0, 1e-12);
  EXPECT_GT(m["deterministic"]["wtt"].get<double>(), 2 * m["sl"]["wtt"].get<double>());
  EXPECT_EQ(m["ardm_k2"]["wtt"], m["data_floor"]["wtt"]);
  EXPECT_EQ(m["transition"]["reference_times"].size(), size_t(kN));
  const std::string html = test::read_file(run.dir / "report/index.html");
  EXPECT_NE(html.find("x across, time down"), std::string::npos);
  EXPECT_NE(html.find("transition time: truth vs deterministic"), std::string::npos);
  // The event-time panels say which share never had the event (the curves end at 1 - that share).
  EXPECT_NE(html.find("deterministic: never 100%"), std::string::npos);
  const auto never_truth = std::lround(100 * std::count(m["transition"]["reference_times"].begin(), m["transition"]["reference_times"].end(), 1.0) / double(kN));
  EXPECT_NE(html.find("truth: never " + std::to_string(never_truth) + "%"), std::string::npos);
  EXPECT_NE(html.find("SL's wtt is"), std::string::npos);
  EXPECT_NE(html.find("on a 12 grid"), std::string::npos);
}

TEST(EvaluateFields, ThreeDimensionalFieldsShowTheirMiddleSlice) {
  RunDir run(std::vector<int64_t>{4, 6, 8});
  pipeline::evaluate_stage(run.e);
  pipeline::report_stage(run.e);
  nlohmann::json m = run.metrics();
  // The default points, three fractions per point on three axes: (0.25, 0.25, 0.5), (0.75, 0.75, 0.5).
  EXPECT_EQ(m["points"], nlohmann::json::parse("[[1, 1, 4], [3, 4, 4]]"));
  EXPECT_GT(m["deterministic"]["wtt"].get<double>(), 2 * m["sl"]["wtt"].get<double>());
  const std::string html = test::read_file(run.dir / "report/index.html");
  EXPECT_NE(html.find("middle slice of the first axis"), std::string::npos);
  EXPECT_NE(html.find("on a 4&times;6&times;8 grid"), std::string::npos);
  // An image of the middle slice: 6 x 8 cells drawn 12 pixels each.
  EXPECT_NE(html.find("width:96px;height:72px"), std::string::npos);
}

TEST(ReportFields, SelfContainedPage) {
  RunDir run("PERIODIC");
  pipeline::evaluate_stage(run.e);
  pipeline::report_stage(run.e);
  std::string html = test::read_file(run.dir / "report/index.html");
  EXPECT_NE(html.find("crossing time: truth vs sl"), std::string::npos);
  EXPECT_NE(html.find("crossing time: truth vs ardm_k2"), std::string::npos);
  EXPECT_NE(html.find("W2 of the integrated mass per frame"), std::string::npos);
  EXPECT_NE(html.find("nearest-training distance"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64,iVBORw0KGgo"), std::string::npos);  // the PNG signature
  EXPECT_EQ(html.find("src='http"), std::string::npos);                          // nothing external
}

}  // namespace slift
