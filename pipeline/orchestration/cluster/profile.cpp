#include "pipeline/orchestration/cluster/profile.hpp"

#include <regex>

#include "core/config.hpp"
#include "core/error.hpp"

namespace slift::pipeline::cluster {

const std::vector<std::string> kStageKinds{"simulate", "train", "sample", "evaluate", "report"};

namespace {

// The formats sbatch --time accepts; checked here so a typo fails before anything is submitted.
config::Check<std::string> slurm_time() {
  return [](const std::string& v) -> std::optional<std::string> {
    static const std::regex re(R"(\d+(:\d{1,2}){0,2}|\d+-\d{1,2}(:\d{1,2}){0,2})");
    if (!std::regex_match(v, re))
      return "must be a SLURM time limit (MM, HH:MM:SS, D-HH, D-HH:MM:SS), got '" + v + "'";
    return std::nullopt;
  };
}

// A value that goes into a shell script line: no line breaks, no quotes that could end it.
config::Check<std::string> plain_word() {
  return [](const std::string& v) -> std::optional<std::string> {
    if (v.find_first_of("\n\r'\"`$;&|<> \t") != std::string::npos)
      return "must be one word without quotes, spaces or shell characters, got '" + v + "'";
    return std::nullopt;
  };
}

StageResources read_stage(config::Section s, const std::string& kind, const std::string& default_time) {
  StageResources r;
  r.partition = s.get<std::string>("partition", "", plain_word());
  r.time = s.get<std::string>("time", default_time, slurm_time());
  if (kind == "simulate") r.tasks = s.get<int64_t>("tasks", r.tasks, config::at_least(1));
  r.cpus_per_task = s.get<int64_t>("cpus_per_task", r.cpus_per_task, config::at_least(1));
  if (kind == "train" || kind == "sample") r.gres = s.get<std::string>("gres", "", plain_word());  // the learner's stages
  s.finish();
  return r;
}

}  // namespace

Profile load_profile(const std::string& file) {
  config::Config cfg = config::Config::load(file);
  config::Section root = cfg.root();
  std::vector<std::string> known{"partition", "account", "modules", "sbatch_options", "launcher", "launcher_args", "array_throttle"};
  known.insert(known.end(), kStageKinds.begin(), kStageKinds.end());
  root.expect_only(known);
  Profile p;
  p.file = file;
  p.partition = root.get<std::string>("partition", "", plain_word());
  p.account = root.get<std::string>("account", "", plain_word());
  p.modules = root.get<std::vector<std::string>>("modules", {});
  for (const auto& m : p.modules)
    if (auto bad = plain_word()(m)) root.fail("modules", *bad);
  p.sbatch_options = root.get<std::vector<std::string>>("sbatch_options", {});
  for (const auto& o : p.sbatch_options)
    if (o.rfind("--", 0) != 0 || o.find('\n') != std::string::npos)
      root.fail("sbatch_options", "each entry must be one long sbatch option such as --qos=normal, got '" + o + "'");
  p.launcher = root.get<std::string>("launcher", p.launcher, config::one_of({"srun", "mpirun"}));
  p.launcher_args = root.get<std::vector<std::string>>("launcher_args", {});
  for (const auto& a : p.launcher_args)
    if (auto bad = plain_word()(a)) root.fail("launcher_args", *bad);
  p.array_throttle = root.get<int64_t>("array_throttle", p.array_throttle, config::at_least(0));
  p.simulate = read_stage(root.section("simulate"), "simulate", "02:00:00");
  p.train = read_stage(root.section("train"), "train", "12:00:00");
  p.sample = read_stage(root.section("sample"), "sample", "02:00:00");
  p.evaluate = read_stage(root.section("evaluate"), "evaluate", "01:00:00");
  p.report = read_stage(root.section("report"), "report", "00:30:00");
  root.finish();
  return p;
}

std::string stage_kind(const std::string& stage) {
  const size_t slash = stage.rfind('/');
  std::string kind = stage.substr(slash == std::string::npos ? 0 : slash + 1);
  kind = kind.substr(0, kind.find_first_of(":@"));
  return kind == "summary" ? "report" : kind;
}

const StageResources& resources(const Profile& p, const std::string& stage) {
  const std::string kind = stage_kind(stage);
  if (kind == "simulate") return p.simulate;
  if (kind == "train") return p.train;
  if (kind == "sample") return p.sample;
  if (kind == "evaluate") return p.evaluate;
  if (kind == "report") return p.report;
  runtime_error("no cluster resources for stage kind '" + kind + "'");
}

}  // namespace slift::pipeline::cluster
