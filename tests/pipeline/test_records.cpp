// The records of a run (models/<m>.json, samples/<s>.json, data/simulate.json): each stage result
// written and read from its one list of keys; files written before this layout (and before later
// keys) still read, into the same JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.hpp"
#include "pipeline/analysis/records.hpp"
#include "support/test_support.hpp"

namespace slift::pipeline {
namespace {

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

nlohmann::json parsed(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Every key of the description holds the same value in a and b.
template <class R>
void expect_same(const R& a, const R& b) {
  for (const auto& key : record_keys<R>())
    EXPECT_EQ(key.entry(a), key.entry(b)) << key.name;
}

// A models/<m>.json as slift wrote it before this layout (no newline at its end).
const char* kOlderTrainRecord = R"json({
  "device": "cpu",
  "final_loss": 1.1474979162216186,
  "label_gradient_norm": 0.0,
  "mean_predictor_loss": 0.7073138058185577,
  "model": "ardm",
  "parameters": 10569,
  "peak_memory_bytes": 0,
  "precision": "float32",
  "samples_per_second": 231.64964084436428,
  "seconds": 0.207209473,
  "steps": 12,
  "warning": "train ardm: final loss 1.15 is not below 90% of predicting the mean target (0.707)"
})json";

const char* kOlderSampleRecord = R"json({
  "batch_size": 8,
  "device": "cpu",
  "n_trajectories": 8,
  "name": "sl",
  "nfe_per_step": 1.0,
  "peak_memory_bytes": 0,
  "precision": "float32",
  "seconds": 0.080654364,
  "seconds_per_trajectory": 0.0100817955,
  "threads": 1
})json";

const char* kOlderSimulateRecord = R"json({
  "ranks": 2,
  "seconds_per_trajectory": 0.0010156521666666665,
  "splits": {"test": {"computed": 8, "seconds": 0.0088406}, "train": {"computed": 8, "seconds": 0.008936127}},
  "threads": 1
}
)json";

TEST(Records, EachResultRoundTripsThroughItsKeys) {
  test::TempDir dir;
  TrainRecord t;
  t.model = "sl", t.final_loss = 0.25, t.mean_predictor_loss = 1.5, t.warning = "learned nothing", t.seconds = 3;
  t.samples_per_second = 4e3, t.steps = 12, t.parameters = 4322, t.device = "cuda", t.precision = "bfloat16";
  t.peak_memory_bytes = int64_t{1} << 40, t.label_gradient_norm = 0.125;
  t.write(dir / "t.json");
  expect_same<learner::TrainResult>(TrainRecord::read(dir / "t.json"), t);
  EXPECT_EQ(parsed(dir / "t.json").size(), record_keys<learner::TrainResult>().size());

  t.warning.clear();  // written as null
  t.write(dir / "t.json");
  EXPECT_TRUE(parsed(dir / "t.json")["warning"].is_null());
  EXPECT_EQ(TrainRecord::read(dir / "t.json").warning, "");

  SampleRecord s;
  s.name = "ardm_k40", s.n_trajectories = 64, s.nfe_per_step = 40, s.seconds = 2, s.seconds_per_trajectory = 0.03125;
  s.threads = 2, s.device = "cpu", s.precision = "float32", s.batch_size = 64, s.peak_memory_bytes = 7;
  s.write(dir / "s.json");
  expect_same<learner::SampleResult>(SampleRecord::read(dir / "s.json"), s);

  SimulateRecord m{{4, 2, {{"train", {{"seconds", 1.5}, {"computed", 16}}}}, 0.09375}};
  m.write(dir / "m.json");
  expect_same<SimulateResult>(SimulateRecord::read(dir / "m.json"), m);
  m.seconds_per_trajectory.reset();  // every split kept: no key
  m.write(dir / "m.json");
  EXPECT_FALSE(parsed(dir / "m.json").contains("seconds_per_trajectory"));
  EXPECT_FALSE(SimulateRecord::read(dir / "m.json").seconds_per_trajectory);
}

TEST(Records, OlderFilesReadIntoTheSameJson) {
  test::TempDir dir;
  const std::pair<const char*, const char*> files[] = {
      {"t.json", kOlderTrainRecord}, {"s.json", kOlderSampleRecord}, {"m.json", kOlderSimulateRecord}};
  for (const auto& [name, text] : files) write_text(dir / name, text);
  const TrainRecord t = TrainRecord::read(dir / "t.json");
  EXPECT_EQ(t.model, "ardm");
  EXPECT_EQ(t.final_loss, 1.1474979162216186);
  EXPECT_EQ(t.parameters, 10569);
  const SampleRecord s = SampleRecord::read(dir / "s.json");
  EXPECT_EQ(s.seconds_per_trajectory, 0.0100817955);
  const SimulateRecord m = SimulateRecord::read(dir / "m.json");
  EXPECT_EQ(m.ranks, 2);
  EXPECT_EQ(*m.seconds_per_trajectory, 0.0010156521666666665);
  // Written again: the same JSON as the older writer's.
  t.write(dir / "t2.json"), s.write(dir / "s2.json"), m.write(dir / "m2.json");
  EXPECT_EQ(parsed(dir / "t2.json"), parsed(dir / "t.json"));
  EXPECT_EQ(parsed(dir / "s2.json"), parsed(dir / "s.json"));
  EXPECT_EQ(parsed(dir / "m2.json"), parsed(dir / "m.json"));
}

TEST(Records, KeysAFileLacksReadAsDefaultsOrAreRefused) {
  test::TempDir dir;
  // From before the label-gradient probe and the device keys; a loss that was not finite (null).
  write_text(dir / "old.json", R"({"model": "sl", "final_loss": null, "seconds": 1.5, "steps": 3, "warning": null})");
  const TrainRecord old = TrainRecord::read(dir / "old.json");
  EXPECT_TRUE(std::isnan(old.final_loss));
  EXPECT_EQ(old.label_gradient_norm, 0.0);
  EXPECT_EQ(old.device, "");
  EXPECT_EQ(old.warning, "");
  EXPECT_EQ(old.steps, 3);
  write_text(dir / "no_loss.json", R"({"model": "sl"})");
  EXPECT_NE(test::error_message(ExitCode::runtime, [&] { TrainRecord::read(dir / "no_loss.json"); }).find("no 'final_loss'"),
            std::string::npos);
  write_text(dir / "s.json", R"({"name": "sl", "nfe_per_step": 1, "seconds_per_trajectory": 0.5})");
  EXPECT_EQ(SampleRecord::read(dir / "s.json").threads, 1);
  write_text(dir / "bad.json", R"({"model": "sl", "final_loss": 1, "steps": "many"})");
  const auto bad = test::error_message(ExitCode::runtime, [&] { TrainRecord::read(dir / "bad.json"); });
  EXPECT_NE(bad.find("'steps'"), std::string::npos) << bad;
  EXPECT_NE(test::error_message(ExitCode::runtime, [&] { SimulateRecord::read(dir / "s.json"); }).find("no 'ranks'"),
            std::string::npos);
}

}  // namespace
}  // namespace slift::pipeline
