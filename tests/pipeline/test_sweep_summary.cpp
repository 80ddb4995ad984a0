// The sweep summary of every generated set (summary.model: all, experiments/ardm-vs-sl): one row
// per set and floor of each run, the interpolation ratio, and the plots against the cost.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "pipeline/orchestration/sweep.hpp"
#include "support/test_support.hpp"

using namespace slift;

namespace {

TEST(SweepSummary, AllSetsAreTabulatedAndPlottedAgainstTheirCost) {
  test::TempDir dir{"slift-sweep"};
  test::write_file(dir / "base.yaml", "name: base\nseed: 3\nsimulate:\n  system: duffing\n  n_train: 4\n  n_test: 4\n  n_time: 5\n");
  test::write_file(dir / "sweep.yaml", "name: costs\nbase: base.yaml\noutput_dir: " + dir.path() +
                                           "/out\ngrid:\n  seed: [1]\nsummary:\n  model: all\n"
                                           "  metrics: [wct, nfe_per_frame, seconds_per_trajectory]\n");
  auto sweep = pipeline::load_sweep(dir / "sweep.yaml", {});
  ASSERT_EQ(sweep.run_ids, std::vector<std::string>{"seed=1"});
  auto set = [](double wct, double nfe, double seconds) {
    return nlohmann::json{{"per_time", nlohmann::json::object()}, {"wct", wct}, {"nfe_per_frame", nfe},
                          {"seconds_per_trajectory", seconds}};
  };
  nlohmann::json sl = set(0.1, 1, 0.01);
  sl["wct_se"] = 0.02;  // a bootstrap standard error (field evaluations record one)
  nlohmann::json m = {{"sl", sl},
                      {"ardm_k1", set(0.5, 1, 0.012)},
                      {"ardm_k2", set(0.3, 2, 0.02)},
                      {"data_floor", {{"per_time", nlohmann::json::object()}, {"wct", 0.05}}},
                      {"interpolation_ratio", 0.25},
                      {"time", {0.0, 1.0}}};
  std::filesystem::create_directories(dir / "out/seed=1");
  test::write_file(dir / "out/seed=1/metrics.json", m.dump());

  auto stages = pipeline::sweep_stages(sweep);
  auto summary = std::find_if(stages.begin(), stages.end(), [](const pipeline::Stage& s) { return s.name == "summary"; });
  ASSERT_NE(summary, stages.end());
  summary->action();

  const auto j = nlohmann::json::parse(test::read_file(dir / "out/summary.json"));
  ASSERT_EQ(j["runs"].size(), 4u) << "three generated sets and one floor";
  std::vector<std::string> names;
  for (const auto& row : j["runs"]) names.push_back(row["set"]);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ardm_k1", "ardm_k2", "data_floor", "sl"}));
  EXPECT_EQ(j["interpolation_ratio"]["seed=1"], 0.25);
  const std::string md = test::read_file(dir / "out/summary.md");
  EXPECT_NE(md.find("| seed=1 | ardm_k2 | 0.300000 | 2.000000 | 0.020000 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| seed=1 | data_floor | 0.050000 | - | - |"), std::string::npos) << md;
  EXPECT_NE(md.find("| seed=1 | sl | 0.100000 ± 0.020000 | 1.000000 | 0.010000 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("over the runs"), std::string::npos) << "one run: nothing to aggregate";
  const std::string html = test::read_file(dir / "out/summary.html");
  EXPECT_NE(html.find("<polygon"), std::string::npos) << "SL's standard error drawn as a band";
  EXPECT_NE(html.find("wct vs nfe_per_frame"), std::string::npos);
  EXPECT_NE(html.find("wct vs seconds_per_trajectory"), std::string::npos);
}

TEST(SweepSummary, SetsInSeveralRunsGetTheirMeanAndSpreadOverRuns) {
  test::TempDir dir{"slift-sweep-seeds"};
  test::write_file(dir / "base.yaml", "name: base\nseed: 3\nsimulate:\n  system: duffing\n  n_train: 4\n  n_test: 4\n  n_time: 5\n");
  test::write_file(dir / "sweep.yaml", "name: seeds\nbase: base.yaml\noutput_dir: " + dir.path() +
                                           "/out\ngrid:\n  seed: [1, 2, 3]\nsummary:\n  model: all\n  metrics: [wct, wim]\n");
  auto sweep = pipeline::load_sweep(dir / "sweep.yaml", {});
  ASSERT_EQ(sweep.run_ids.size(), 3u);
  const std::vector<double> wct{0.1, 0.2, 0.6};
  for (size_t i = 0; i < 3; ++i) {
    nlohmann::json set = {{"per_time", nlohmann::json::object()}, {"wct", wct[i]}, {"wim", 0.01}};
    nlohmann::json m = {{"sl", set}};
    if (i == 0) m["ardm_k40"] = set;  // in one run only: no spread over runs
    std::filesystem::create_directories(dir / ("out/" + sweep.run_ids[i]));
    test::write_file(dir / ("out/" + sweep.run_ids[i] + "/metrics.json"), m.dump());
  }
  auto stages = pipeline::sweep_stages(sweep);
  std::find_if(stages.begin(), stages.end(), [](const pipeline::Stage& s) { return s.name == "summary"; })->action();

  const auto j = nlohmann::json::parse(test::read_file(dir / "out/summary.json"));
  // wct 0.1, 0.2, 0.6: mean 0.3, sample standard deviation sqrt((0.04 + 0.01 + 0.09) / 2).
  EXPECT_NEAR(j["over_runs"]["sl"]["wct"]["mean"].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR(j["over_runs"]["sl"]["wct"]["sd"].get<double>(), std::sqrt(0.07), 1e-12);
  EXPECT_EQ(j["over_runs"]["sl"]["runs"], 3);
  EXPECT_NEAR(j["over_runs"]["sl"]["wim"]["sd"].get<double>(), 0.0, 1e-15);
  EXPECT_FALSE(j["over_runs"].contains("ardm_k40"));
  const std::string md = test::read_file(dir / "out/summary.md");
  EXPECT_NE(md.find("| sl | 3 | 0.300000 ± 0.264575 | 0.010000 ± 0.000000 |"), std::string::npos) << md;
}

TEST(SweepSummary, WithoutChosenMetricsTheRunsHeadlineIsSummarised) {
  test::TempDir dir{"slift-sweep-headline"};
  test::write_file(dir / "base.yaml", "name: base\nseed: 3\nsimulate:\n  system: duffing\n  n_train: 4\n  n_test: 4\n  n_time: 5\n");
  test::write_file(dir / "sweep.yaml", "name: plain\nbase: base.yaml\noutput_dir: " + dir.path() + "/out\ngrid:\n  seed: [1, 2]\n");
  auto sweep = pipeline::load_sweep(dir / "sweep.yaml", {});
  ASSERT_EQ(sweep.run_ids.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    // What evaluate records: the data kind's headline (here a field set's with wtt asked for).
    nlohmann::json sl = {{"per_time", nlohmann::json::object()}, {"wtt", 0.1 * double(i + 1)}, {"wim", 0.02}, {"w2_mean", 7.0},
                         {"final_train_loss", 0.5}};
    nlohmann::json m = {{"sl", sl}, {"headline", {"wtt", "wim"}}};
    std::filesystem::create_directories(dir / ("out/" + sweep.run_ids[i]));
    test::write_file(dir / ("out/" + sweep.run_ids[i] + "/metrics.json"), m.dump());
  }
  auto stages = pipeline::sweep_stages(sweep);
  std::find_if(stages.begin(), stages.end(), [](const pipeline::Stage& s) { return s.name == "summary"; })->action();
  const std::string md = test::read_file(dir / "out/summary.md");
  EXPECT_NE(md.find("| seed | wtt | wim | final_train_loss |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 2 | 0.200000 | 0.020000 | 0.500000 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("w2_mean"), std::string::npos) << "no metric of another data kind: " << md;
}

}  // namespace
