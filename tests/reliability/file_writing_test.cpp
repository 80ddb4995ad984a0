// One way to write a file (core/atomic_file.hpp), tried on the real `slift` binary: links planted
// at the names a run uses are never written through, a damaged lock file is said and its stages'
// outputs checked by hash, a read-only run directory is named with the reason. Issue 24.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "core/atomic_file.hpp"
#include "core/dataset.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using slift::test::CommandResult;
using slift::test::run;
using slift::test::slift_bin;
using slift::test::TempDir;

namespace {

std::string duffing(const TempDir& dir, const std::string& rest) {
  return slift_bin() + " " + rest + " --set output_dir=" + dir.path() +
         "/run --set simulate.n_train=20 --set simulate.n_test=20 --set simulate.n_time=16 --threads 1";
}
std::string config() { return slift::test::source_dir() + "/configs/duffing.yaml"; }

// A file outside the run directory that a planted link points at.
struct Precious {
  explicit Precious(const TempDir& dir) : path(dir / "precious") { slift::test::write_file(path, text); }
  void plant(const std::string& link) const {
    fs::create_directories(fs::path(link).parent_path());
    fs::create_symlink(path, link);
  }
  bool untouched() const { return slift::test::read_file(path) == text; }
  std::string path, text = "precious data\n";
};

}  // namespace

// Item 5: a link planted at a temporary name is never opened (every temporary is made with O_EXCL
// under a fresh name); at a name used in place (a .partial, a stage lock) it is refused with one
// line naming it. Its target is untouched either way. Before: the target was overwritten and
// renamed into place, exit 0.
TEST(FileWriting, LinksPlantedAtTheNamesARunUsesAreNeverWrittenThrough) {
  TempDir dir;
  const Precious precious(dir);
  precious.plant(dir / "run/slift.lock.json.tmp");
  const CommandResult ok = run(duffing(dir, "run " + config() + " simulate") + " -q");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(precious.untouched());
  EXPECT_TRUE(fs::is_symlink(dir / "run/slift.lock.json.tmp"));
  EXPECT_FALSE(fs::is_symlink(dir / "run/slift.lock.json"));

  for (const char* name : {"data/train.h5.partial", ".slift-locks/simulate", "slift.lock.json.flock"}) {
    TempDir fresh;
    const Precious target(fresh);
    target.plant(fresh / (std::string("run/") + name));
    const CommandResult r = run(duffing(fresh, "run " + config() + " simulate") + " -q");
    EXPECT_EQ(r.exit_code, 2) << name << ": " << r.output;
    EXPECT_NE(r.output.find(fresh / (std::string("run/") + name) + " is a symbolic link"), std::string::npos) << r.output;
    EXPECT_TRUE(target.untouched()) << name;
  }
}

// Item 5, the facility itself: a hard link at a name whose data are written in place is refused too
// (writing into it would change the other name's file), and a failed write leaves no temporary.
TEST(FileWriting, TheFacilityRefusesHardLinksAndKeepsTheOldFileOnFailure) {
  TempDir dir;
  const Precious precious(dir);
  fs::create_hard_link(precious.path, dir / "lock");
  EXPECT_NE(slift::test::usage_message([&] { slift::open_in_place(dir / "lock", 0, /*data=*/true); }).find("is not a plain file"),
            std::string::npos);
  EXPECT_TRUE(precious.untouched());
  slift::write_file_atomic(dir / "out", "new\n");
  EXPECT_EQ(slift::test::read_file(dir / "out"), "new\n");
  fs::create_directories(dir / "a_directory");
  EXPECT_NE(slift::test::error_message(slift::ExitCode::runtime, [&] { slift::write_file_atomic(dir / "a_directory", "x"); })
                .find("cannot replace " + (dir / "a_directory")),
            std::string::npos);
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"lock", "out", "precious"})) << "no temporary left";
}

// Names read from files or configs become one path component or are refused, on one line.
TEST(FileWriting, NamesFromFilesAreSinglePathComponents) {
  EXPECT_EQ(slift::path_component("duffing_2", "x"), "duffing_2");
  for (const char* bad : {"", ".", "..", "../precious", "a/b", "line\nbreak"}) {
    const std::string message = slift::test::usage_message([&] { slift::path_component(bad, "data.h5: dataset_name"); });
    EXPECT_NE(message.find("data.h5: dataset_name: "), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// Item 20: a damaged slift.lock.json (truncated, empty, of wrong types) was taken silently as
// "never ran" and everything ran again. Now it is named in a warning and its copy read instead:
// the stages whose outputs still match the recorded hashes are up to date.
TEST(FileWriting, ADamagedLockFileIsSaidAndTheOutputsAreCheckedByHash) {
  TempDir dir;
  ASSERT_EQ(run(duffing(dir, "run " + config() + " simulate") + " -q").exit_code, 0);
  const std::string lock = dir / "run/slift.lock.json";
  const std::string good = slift::test::read_file(lock);
  for (const std::string& damaged : {good.substr(0, good.size() / 2), std::string(), std::string(R"({"format": 1, "stages": 3})")}) {
    slift::test::write_file(lock, damaged);
    const CommandResult r = run(duffing(dir, "run " + config() + " simulate --dry-run"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(lock + " is damaged"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("simulate: up to date"), std::string::npos) << r.output;
  }
  // A modified output is still seen through the copy.
  slift::test::write_file(dir / "run/data/test.h5", "not what the stage wrote");
  const CommandResult r = run(duffing(dir, "run " + config() + " simulate --dry-run"));
  EXPECT_NE(r.output.find("output data/test.h5 was modified"), std::string::npos) << r.output;
}

// Item 21: a run directory the user may not write gave no reason ("cannot open
// <run>/.slift-locks/simulate"). Now one line naming the file and "Permission denied". Root writes
// anywhere: the command runs without the capabilities that let it (setpriv).
TEST(FileWriting, AReadOnlyRunDirectoryIsNamedWithTheReason) {
  if (::geteuid() == 0 && run("setpriv --help").exit_code != 0) GTEST_SKIP() << "no setpriv to drop root's capabilities";
  TempDir dir;
  ASSERT_EQ(run(duffing(dir, "run " + config() + " simulate") + " -q").exit_code, 0);
  ASSERT_EQ(run("chmod -R a-w " + (dir / "run")).exit_code, 0);
  const std::string as_user = ::geteuid() == 0 ? "setpriv --bounding-set=-dac_override,-dac_read_search " : "";
  const CommandResult r = run(as_user + duffing(dir, "run " + config() + " simulate --force") + " -q");
  ASSERT_EQ(run("chmod -R u+w " + (dir / "run")).exit_code, 0);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  // The first file the run opens there: a lock under .slift-locks/ (the stage's, or an input's).
  EXPECT_NE(r.output.find("cannot open " + (dir / "run/.slift-locks/")), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(": Permission denied"), std::string::npos) << r.output;
}
