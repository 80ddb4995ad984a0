// Reliability of reading a config and of what is built from it (issue 24, second round): YAML
// aliases that never end or explode, a config that is a directory, a pipe or a FIFO, names and
// paths in job scripts, user-given text in the report, the sizes of `evaluate`, grid values that
// compute the same, an output_dir that cannot be a directory. Each item is numbered as in the issue.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/analysis/report/html.hpp"
#include "pipeline/analysis/report/svg_plot.hpp"
#include "pipeline/orchestration/cluster/sbatch.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using slift::test::CommandResult;
using slift::test::run;
using slift::test::slift_bin;
using slift::test::source_dir;
using slift::test::TempDir;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void expect_one_line_failure(const CommandResult& r, int code, const std::string& must_contain) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_TRUE(has(r.output, must_contain)) << must_contain << "\n" << r.output;
}

// A valid small Duffing experiment writing under `out`.
std::string small_config(const std::string& out, const std::string& name = "tiny") {
  return "name: " + name + "\noutput_dir: " + out +
         "\nsimulate:\n  system: duffing\n  n_train: 3\n  n_test: 2\n  n_time: 5\n  dt: 0.1\n"
         "train:\n  iterations: 10\n  width: 8\n";
}

// Every command that reads a config, with what it needs besides.
std::vector<std::string> config_commands() {
  return {"simulate", "run", "train", "sample", "evaluate",
          "submit --dry-run --profile " + source_dir() + "/cluster/local.yaml"};
}

// `slift <command> <config> <args>` with a time limit: a hang is a failure, not a stuck test.
CommandResult run_slift(const std::string& command, const std::string& config, const std::string& args = "") {
  return run("timeout 60 " + slift_bin() + " " + command + " '" + config + "' " + args + " 2>&1");
}

}  // namespace

// Items 9 and 14: an alias inside its own anchor was a stack overflow in every command; nine
// levels of nine aliases ("billion laughs") took over a minute. Both are refused at once, naming
// the file, from the file and from --set.
TEST(ReliabilityConfig, RecursiveAndExplodingAliasesAreRefusedAtOnce) {
  TempDir dir;
  const std::string recursive = dir / "recursive.yaml", laughs = dir / "laughs.yaml", base = dir / "base.yaml";
  slift::test::write_file(recursive, small_config(dir / "run") + "evaluate: &e\n  points: *e\n");
  std::string text = small_config(dir / "run") + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 9; ++level) {
    text += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int k = 0; k < 9; ++k) text += (k ? ", *a" : "*a") + std::to_string(level - 1);
    text += "]\n";
  }
  slift::test::write_file(laughs, text);
  slift::test::write_file(base, small_config(dir / "run"));
  for (const auto& command : config_commands()) {
    for (const auto& file : {recursive, laughs}) {
      const auto start = std::chrono::steady_clock::now();
      const CommandResult r = run_slift(command, file);
      expect_one_line_failure(r, 2, file);
      EXPECT_TRUE(has(r.output, "alias")) << command << "\n" << r.output;
      EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << command << " " << file;
    }
    expect_one_line_failure(run_slift(command, base, "--set 'evaluate.points=&p [1, *p]'"), 2, "--set");
  }
  EXPECT_FALSE(fs::exists(dir / "run"));
}

// Item 11: a config that is a directory was "basic_filebuf::underflow ... Is a directory" (exit 1)
// everywhere but in simulate; every command now shares the config reader's check.
TEST(ReliabilityConfig, AConfigThatIsADirectoryIsOneLineInEveryCommand) {
  TempDir dir;
  for (const auto& command : config_commands())
    expect_one_line_failure(run_slift(command, dir.path()), 2, "'" + dir.path() + "' is a directory");
}

// Item 15: `slift run` read the config twice: from a pipe the second read was empty ("name:
// required key is missing"), from a FIFO it waited forever for a second writer.
TEST(ReliabilityConfig, AConfigIsReadOnceFromAPipeOrAFifo) {
  TempDir dir;
  const std::string config = dir / "config.yaml", fifo = dir / "config.fifo";
  slift::test::write_file(config, small_config(dir / "run"));
  CommandResult r = run("cat '" + config + "' | timeout 60 " + slift_bin() + " run /dev/stdin --dry-run 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "simulate")) << r.output;

  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  r = run("(cat '" + config + "' > '" + fifo + "' &); timeout 60 " + slift_bin() + " run '" + fifo + "' --dry-run 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "simulate")) << r.output;

  // Job scripts read the config again on the cluster: a pipe cannot serve them.
  r = run("cat '" + config + "' | timeout 60 " + slift_bin() + " submit /dev/stdin --dry-run --profile " + source_dir() +
          "/cluster/local.yaml 2>&1");
  expect_one_line_failure(r, 2, "not a pipe");
  EXPECT_FALSE(fs::exists(dir / "run"));
}

// Item 6, at config time: a newline in `name` became a command in every job script. A name is
// letters, digits and . _ + - only, refused naming the key and the file.
TEST(ReliabilityConfig, ANameOutsideTheSafeCharactersIsRefused) {
  TempDir dir;
  const std::string config = dir / "config.yaml";
  for (const std::string name : {"\"a\\nhostname\"", "\"x$(touch pwned)\"", "\"<script>alert(1)</script>\"", "../up"}) {
    slift::test::write_file(config, small_config(dir / "run", name));
    for (const std::string& command : {std::string("run --dry-run"), "submit --dry-run --profile " + source_dir() + "/cluster/local.yaml"}) {
      const CommandResult r = run_slift(command, config);
      expect_one_line_failure(r, 2, config + ":1: name: must be");
    }
  }
  EXPECT_FALSE(fs::exists(dir / "pwned"));
  EXPECT_FALSE(fs::exists(dir / "run"));
}

// Item 6: a job script made from hostile paths (spaces, quotes, $(...), backquotes, '#', ';')
// runs exactly the intended command with exactly its arguments, every #SBATCH line is in the
// header sbatch reads and decodes (as sbatch does) to the path given, and a line break in a path
// is refused.
TEST(ReliabilityConfig, AJobScriptFromHostilePathsRunsOnlyItsCommand) {
  namespace cluster = slift::pipeline::cluster;
  TempDir dir;
  const std::string hostile = "a b'c\"d$(touch pwned1)`touch pwned2`;touch pwned3 #e\\f";
  const std::string root = dir / hostile;
  fs::create_directories(root);
  // The "slift" of the job: writes its arguments, one per line, and nothing else.
  const std::string recorder = root + "/slift", record = dir / "args";
  slift::test::write_file(recorder, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$RECORD\"\n");
  fs::permissions(recorder, fs::perms::owner_all);

  cluster::Profile profile;
  profile.file = root + "/profile.yaml";
  profile.launcher = "srun";
  profile.train.time = "10";
  cluster::Submission job;
  job.name = "train:sl";
  job.reason = "never ran";
  job.stages = {"train:sl"};
  const cluster::JobCommand command{recorder, root + "/config.yaml", {"--set", "train.lr=$(touch pwned4)"}};
  const cluster::ScriptPaths paths{root, root + "/slurm"};
  const std::string script = cluster::render_script(profile, job, "tiny", command, paths);

  // sbatch reads #SBATCH lines up to the first line that is not a comment.
  std::vector<std::string> header;
  std::istringstream lines(script);
  for (std::string line; std::getline(lines, line) && (line.empty() || line[0] == '#');) header.push_back(line);
  // An #SBATCH value as sbatch's own parser reads it: quotes and backslashes, '#' starts a comment.
  const auto sbatch_value = [&](const std::string& option) {
    for (const auto& line : header) {
      const std::string prefix = "#SBATCH " + option + "=";
      if (line.rfind(prefix, 0) != 0) continue;
      std::string value;
      char quote = 0;
      for (size_t i = prefix.size(); i < line.size(); ++i) {
        const char c = line[i];
        if (c == '\\' && i + 1 < line.size()) value += line[++i];
        else if (quote && c == quote) quote = 0;
        else if (!quote && (c == '"' || c == '\'')) quote = c;
        else if (!quote && (c == '#' || std::isspace(static_cast<unsigned char>(c)))) break;
        else value += c;
      }
      return value;
    }
    return std::string("<missing>");
  };
  EXPECT_EQ(sbatch_value("--chdir"), root) << script;
  EXPECT_EQ(sbatch_value("--output"), root + "/slurm/train_sl-%j.out") << script;
  for (const std::string option : {"--job-name", "--time", "--ntasks", "--cpus-per-task", "--kill-on-invalid-dep"})
    EXPECT_NE(sbatch_value(option), "<missing>") << option << "\n" << script;

  const std::string file = dir / "job.sbatch";
  slift::test::write_file(file, script);
  const CommandResult r = run("cd '" + dir.path() + "' && RECORD='" + record +
                              "' SLURM_CPUS_PER_TASK=2 SLURM_NTASKS=1 bash '" + file + "' 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output << "\n" << script;
  EXPECT_EQ(slift::test::read_file(record), "run\n" + root + "/config.yaml\ntrain:sl\n--threads\n2\n--set\ntrain.lr=$(touch pwned4)\n")
      << script;
  for (const auto& f : dir.files())
    EXPECT_NE(fs::path(f).filename().string().rfind("pwned", 0), 0u) << f << " was made by the script\n" << script;

  const cluster::ScriptPaths broken{root + "\nhostname", root + "/slurm"};
  const std::string message = slift::test::usage_message([&] { cluster::render_script(profile, job, "tiny", command, broken); });
  EXPECT_TRUE(has(message, "line break")) << message;
}

// Item 13: the report's text was raw HTML: a name or a message holding <script> ran in the
// browser of whoever opened the report. Everything user-given is escaped.
TEST(ReliabilityConfig, UserTextInTheReportIsEscaped) {
  const std::string evil = "<script>alert(1)</script>";
  slift::report::Page page(evil + ": Stochastic Lifting report");
  nlohmann::json metrics = {{evil, {{"per_time", {}}, {"w2_mean", 0.5}, {"training_warning", "<img src=x onerror=alert(2)>"}}},
                            {"sampling_floor", {{"per_time", {}}, {"w2_mean", 0.1}}}};
  page.metrics_table(metrics, {"w2_mean"});
  page.throughput_table({{evil, {{"trajectories_per_second", 1.0}}}});
  slift::report::SvgPlot plot(evil, evil, evil);
  plot.line({0, 1}, {0, 1}, "#000", evil);
  page.figure(plot.svg());
  const std::string html = page.html();
  EXPECT_FALSE(has(html, "<script")) << html;
  EXPECT_FALSE(has(html, "<img")) << html;
  EXPECT_TRUE(has(html, "&lt;script&gt;alert(1)&lt;/script&gt;: Stochastic Lifting report")) << html;
}

// Item 16: evaluate.conditional_samples had no bound (2e9 passed the dry run, then 15.6 GB in a
// minute or a bare bad_alloc) and no estimate; every evaluate size now has a range and the dry
// run states the evaluate stage's time.
TEST(ReliabilityConfig, EvaluateSizesAreBoundedAndEstimated) {
  TempDir dir;
  const std::string config = dir / "config.yaml";
  slift::test::write_file(config, small_config(dir / "run"));
  for (const std::string key : {"conditional_samples", "conditional_states", "sliced_projections", "bootstrap"}) {
    const CommandResult r = run_slift("run --dry-run", config, "--set evaluate." + key + "=2e9");
    expect_one_line_failure(r, 2, "evaluate." + key + ":");
  }
  const auto evaluate_line = [&](const std::string& samples) {
    const CommandResult r = run_slift("run --dry-run", config, "--set evaluate.conditional_samples=" + samples);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const size_t at = r.output.find("evaluate: ");
    return at == std::string::npos ? std::string("<missing>") : r.output.substr(at, r.output.find('\n', at) - at);
  };
  const std::string small = evaluate_line("1000"), large = evaluate_line("10000000");
  EXPECT_NE(small, "<missing>");
  EXPECT_NE(small, large) << "the estimate does not see conditional_samples";
  EXPECT_FALSE(fs::exists(dir / "run"));
}

// Item 17: grid values were told apart by spelling ([0.1, 0.10, 1e-1] trained three identical
// models) and a grid over output_dir ran the same computation under several names.
TEST(ReliabilityConfig, GridValuesThatComputeTheSameAreRefused) {
  TempDir dir;
  const std::string base = dir / "base.yaml", sweep = dir / "sweep.yaml";
  slift::test::write_file(base, small_config(dir / "unused"));
  const auto sweep_with = [&](const std::string& grid) {
    slift::test::write_file(sweep, "name: s\nbase: base.yaml\noutput_dir: " + (dir / "sweep") + "\ngrid:\n  " + grid + "\n");
    return run_slift("run --dry-run", sweep);
  };
  CommandResult r = sweep_with("train.lr: [0.1, 0.10, 1e-1]");
  expect_one_line_failure(r, 2, "grid.train.lr: value '0.10' is listed twice (as '0.1')");
  r = sweep_with("output_dir: [a, b]");
  expect_one_line_failure(r, 2, "grid.output_dir: runs 'output_dir=a' and 'output_dir=b' would compute the same");
  r = sweep_with("train.lr: [0.1, 0.01]");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir / "sweep"));
}

// From item 21: an output_dir that is a file, under a file or a link loop was a raw filesystem
// error; `train.models: [sl, sl]` listed each stage twice; a 100 KB --set value was echoed whole.
TEST(ReliabilityConfig, ConfigErrorsNameTheKeyAndStayOneShortLine) {
  TempDir dir;
  const std::string config = dir / "config.yaml", file = dir / "file", loop = dir / "loop";
  slift::test::write_file(config, small_config(dir / "run"));
  slift::test::write_file(file, "x");
  fs::create_symlink(loop, loop);
  expect_one_line_failure(run_slift("run --dry-run", config, "--set output_dir=" + file), 2, "output_dir: '" + file + "' exists and is not a directory");
  expect_one_line_failure(run_slift("run --dry-run", config, "--set output_dir=" + file + "/run"), 2, "output_dir: '" + file + "/run' cannot be a directory");
  expect_one_line_failure(run_slift("run --dry-run", config, "--set output_dir=" + loop), 2, "output_dir: '" + loop + "' cannot be a directory");
  expect_one_line_failure(run_slift("run --dry-run", config, "--set 'train.models=[sl, sl]'"), 2, "train.models: model 'sl' is listed twice");

  const std::string huge(100000, 'x');
  for (const std::string& set : {"simulate.dt=" + huge, "train.arch=" + huge, huge}) {
    const CommandResult r = run_slift("run --dry-run", config, "--set " + set);
    expect_one_line_failure(r, 2, "(100");
    EXPECT_LT(r.output.size(), 1000u) << r.output.substr(0, 300);
  }
  EXPECT_EQ(slift::test::read_file(file), "x");
}
