// Models and checkpoints carry a checksum (learner/model.hpp), and every file of a run is written
// through one facility (core/atomic_file.hpp): needs the LibTorch plugin. Issue 24, items 2, 3, 5,
// 12 and 21.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/learner.hpp"
#include "learner/toy_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using slift::test::CommandResult;
using slift::test::read_file;
using slift::test::run;
using slift::test::slift_bin;
using slift::test::TempDir;

namespace {

std::string duffing(const TempDir& dir, const std::string& command) {
  return slift::test::tiny_duffing(dir.path() + "/run", command,
                                   "--set train.iterations=400 --set train.checkpoint_every=50 --set train.log_every=50 "
                                   "--threads 1");
}

// Flips one bit in the middle of a file (the weights and AdamW's moments make most of a model).
void flip_a_bit(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  const std::streamoff middle = f.tellg() / 2;
  f.seekg(middle);
  const char c = static_cast<char>(f.get());
  f.seekp(middle);
  f.put(static_cast<char>(c ^ 0x10));
}

void truncate_to_half(const std::string& path) { fs::resize_file(path, fs::file_size(path) / 2); }

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// A file outside the run directory that a planted link points at.
const std::string kPrecious = "precious data\n";
void plant(const std::string& target, const std::string& link) {
  fs::create_directories(fs::path(link).parent_path());
  fs::create_symlink(target, link);
}

}  // namespace

// Item 3: a checkpoint with flipped bits was resumed silently and the run's result differed from
// the uninterrupted one. Now the checksum refuses it, it is set aside and the model starts over:
// the result is that of an uninterrupted training.
TEST(Checkpoint, AFlippedBitIsSetAsideAndTheModelStartsOver) {
  slift::log::set_level(slift::log::Level::quiet);
  TempDir dir;
  std::vector<float> states;
  slift::Rng rng(3, 0, "test.walks");
  for (int i = 0; i < 16 * 10 * 2; ++i) states.push_back(static_cast<float>(rng.normal()));
  slift::test::write_states(dir / "train.h5", 16, 10, 2, states);
  auto o = slift::test::tiny_options(40, 64, 4);
  const auto whole = slift::learner::train_model("sl", o, dir / "train.h5", 4, dir / "whole.pt", dir / "whole.ckpt", "");
  o.stop_after = 20;
  slift::learner::train_model("sl", o, dir / "train.h5", 4, dir / "m.pt", dir / "m.ckpt", "");
  flip_a_bit(dir / "m.ckpt");
  o.stop_after = 0;
  const auto resumed = slift::learner::train_model("sl", o, dir / "train.h5", 4, dir / "m.pt", dir / "m.ckpt", "");
  EXPECT_TRUE(fs::exists(dir / "m.ckpt.damaged"));
  EXPECT_EQ(resumed.final_loss, whole.final_loss);
  EXPECT_EQ(resumed.steps, 40);
}

// Item 12: a truncated checkpoint blocked its model for good, --force included, with a LibTorch
// message naming no file. Now a warning names it, it is set aside, and the model trains again.
TEST(Checkpoint, ATruncatedCheckpointIsNamedAndTheModelTrainsAgain) {
  TempDir dir;
  ASSERT_TRUE(slift::test::kill_when_printed(duffing(dir, "run") + " --set train.iterations=4000", "step 200/"));
  const std::string ckpt = dir / "run/models/deterministic.ckpt";
  ASSERT_TRUE(fs::exists(ckpt));
  truncate_to_half(ckpt);
  const CommandResult r = run(duffing(dir, "run") + " train --force");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(ckpt + ": damaged checkpoint"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("set aside as " + ckpt + ".damaged: train deterministic starts over"), std::string::npos)
      << r.output;
  EXPECT_TRUE(fs::exists(dir / "run/models/deterministic.pt"));
}

// Damages a file as the disk would, unseen by the lock: its recorded hash is that of the damaged file.
static void damage_unseen(const std::string& run_dir, const std::string& rel, void (*damage)(const std::string&)) {
  damage(run_dir + "/" + rel);
  const std::string lock_path = run_dir + "/slift.lock.json";
  nlohmann::json lock = nlohmann::json::parse(read_file(lock_path));
  lock["stages"]["train:deterministic"]["outputs"][rel] = slift::sha256_file(run_dir + "/" + rel);
  slift::test::write_file(lock_path, lock.dump());
}

// Item 3 at sampling: a model file with a flipped bit sampled silently with other weights; a
// truncated one gave LibTorch's message. Now one line naming the file, exit 2.
TEST(Checkpoint, ADamagedModelFileIsOneLineNamingIt) {
  TempDir dir;
  ASSERT_EQ(run(duffing(dir, "train") + " -q").exit_code, 0);
  const std::string model = dir / "run/models/deterministic.pt";
  const std::string good = read_file(model);
  damage_unseen(dir / "run", "models/deterministic.pt", flip_a_bit);
  CommandResult r = run(duffing(dir, "sample") + " -q");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(lines(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find(model + ": damaged model file (its checksum does not match"), std::string::npos) << r.output;
  slift::test::write_file(model, good);
  damage_unseen(dir / "run", "models/deterministic.pt", truncate_to_half);
  r = run(duffing(dir, "sample") + " -q");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(lines(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find(model + ": not a readable model file"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "run/samples/deterministic.h5"));
}

// Item 2: `slift export MODEL OUT` and `slift inspect FILE --plot OUT` replaced any OUT, the model
// or the inspected data set included. Now an existing OUT only with --force, an input never.
TEST(Checkpoint, ExportAndPlotRefuseAnExistingOutAndNeverReplaceTheirInput) {
  TempDir dir;
  ASSERT_EQ(run(duffing(dir, "train") + " -q").exit_code, 0);
  const std::string model = dir / "run/models/deterministic.pt", config = dir / "c.yaml";
  const std::string model_bytes = read_file(model);
  slift::test::write_file(config, "name: precious\n");
  CommandResult r = run(slift_bin() + " export " + model + " " + config);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("OUT " + config + " exists; pass --force to replace it"), std::string::npos) << r.output;
  r = run(slift_bin() + " export " + model + " " + model + " --force");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("is the model file itself"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(config), "name: precious\n");
  EXPECT_EQ(read_file(model), model_bytes);
  r = run(slift_bin() + " export " + model + " " + config + " --force");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(read_file(config), "name: precious\n");

  const std::string fields = dir / "fields.h5", png = dir / "p.png";
  slift::test::write_fields(fields, 4, 5, 8, 8, slift::test::drifting_bumps(4, 5, 2), true);
  const std::string fields_bytes = read_file(fields);
  slift::test::write_file(png, "precious");
  r = run(slift_bin() + " inspect " + fields + " --plot " + png);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--plot " + png + " exists; pass --force to replace it"), std::string::npos) << r.output;
  r = run(slift_bin() + " inspect " + fields + " --plot " + fields + " --force");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("is the inspected file " + fields + " itself"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(png), "precious");
  EXPECT_EQ(read_file(fields), fields_bytes);
  EXPECT_EQ(run(slift_bin() + " inspect " + fields + " --plot " + png + " --force").exit_code, 0);
  EXPECT_EQ(read_file(png).substr(1, 3), "PNG");
}

// Item 5: links planted at every temporary name of a run (<model>.pt.tmp, <model>.ckpt.tmp,
// metrics.json.tmp) had their target overwritten and renamed into place. Now the run never opens
// them; a link at a sample set's .partial is refused with one line naming it.
TEST(Checkpoint, LinksAtTheTemporaryNamesOfARunAreNeverWrittenThrough) {
  TempDir dir;
  const std::string precious = dir / "precious";
  slift::test::write_file(precious, kPrecious);
  const std::vector<std::string> names = {"models/deterministic.pt.tmp", "models/deterministic.ckpt.tmp",
                                          "metrics.json.tmp", "slift.lock.json.tmp"};
  for (const auto& name : names) plant(precious, dir / ("run/" + name));
  const CommandResult r = run(duffing(dir, "run") + " -q");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_file(precious), kPrecious);
  for (const auto& name : names) EXPECT_TRUE(fs::is_symlink(dir / ("run/" + name))) << name;
  EXPECT_TRUE(fs::exists(dir / "run/metrics.json"));

  fs::remove(dir / "run/samples/deterministic.h5");
  plant(precious, dir / "run/samples/deterministic.h5.partial");
  const CommandResult refused = run(duffing(dir, "run") + " -q");
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find(dir / "run/samples/deterministic.h5.partial is a symbolic link"), std::string::npos)
      << refused.output;
  EXPECT_EQ(read_file(precious), kPrecious);
}

// Item 21: a killed `--force` stage left neither the old output nor a new one (the driver removed
// the outputs before the action). Now the old model stays until the new one replaces it.
TEST(Checkpoint, AKilledForcedStageLeavesTheOldOutput) {
  TempDir dir;
  ASSERT_EQ(run(duffing(dir, "run") + " train -q").exit_code, 0);
  const std::string model = dir / "run/models/deterministic.pt";
  const std::string old = read_file(model);
  ASSERT_TRUE(slift::test::kill_when_printed(duffing(dir, "run") + " train --force", "step 200/"));
  ASSERT_TRUE(fs::exists(model));
  EXPECT_EQ(read_file(model), old);
}
