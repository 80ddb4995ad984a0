#include "pipeline/orchestration/cluster/slurm_cli.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <sstream>

#include "core/error.hpp"

namespace slift::pipeline::cluster {
namespace {

struct Output {
  int status;
  std::string text;  // stdout and stderr
};

Output capture(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) runtime_error("cannot run: " + command);
  std::string text;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  return {exit_code_of(pclose(p)), text};
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

std::string submit(const std::string& sbatch_command) {
  Output o = capture(sbatch_command);
  std::string id = trim(o.text);
  // --parsable prints "<id>" or "<id>;<cluster>"; anything else is an error message.
  id = id.substr(0, id.find(';'));
  if (o.status != 0 || id.empty() || !std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isdigit(c); }))
    runtime_error("sbatch failed (" + sbatch_command + "): " + trim(o.text));
  return id;
}

std::vector<std::string> active_jobs(const std::vector<std::string>& ids) {
  Output o = capture("squeue --me --noheader --format=%i");
  if (o.status != 0) runtime_error("squeue failed: " + trim(o.text));
  std::istringstream lines(o.text);
  std::vector<std::string> queued, active;
  for (std::string line; std::getline(lines, line);) queued.push_back(trim(line));
  // An array's tasks are listed as <id>_<task> or <id>_[<range>].
  for (const auto& id : ids)
    if (std::any_of(queued.begin(), queued.end(), [&](const std::string& q) { return q == id || q.rfind(id + "_", 0) == 0; }))
      active.push_back(id);
  return active;
}

}  // namespace slift::pipeline::cluster
