#include "support/test_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace slift::test {

// The environment wins (ctest sets it); the build's own paths are the fallback.
static std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string slift_bin() { return env_or("SLIFT_BIN", SLIFT_TEST_BIN); }
std::string source_dir() { return env_or("SLIFT_SOURCE_DIR", SLIFT_TEST_SOURCE_DIR); }

std::string tiny_duffing(const std::string& run_dir, const std::string& command, const std::string& extra) {
  return slift_bin() + " " + command + " " + source_dir() + "/configs/duffing.yaml --set output_dir=" + run_dir +
         " --set simulate.n_train=20 --set simulate.n_test=20 --set simulate.n_time=16"
         " --set 'train.models=[deterministic]' --set train.width=32 " + extra;
}

CommandResult run(const std::string& command) {
  std::string full = command + " 2>&1";
  FILE* p = popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run: " + command);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, out};
}

bool kill_when_printed(const std::string& command, const std::string& marker) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string seen;
  char buf[4096];
  bool killed = false;
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) {
    seen.append(buf, n);
    if (seen.find(marker) != std::string::npos) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return killed;
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> TempDir::files() const {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path_))
    if (e.is_regular_file()) out.push_back(std::filesystem::relative(e.path(), path_).string());
  std::sort(out.begin(), out.end());
  return out;
}

void expect_usage_error(const CommandResult& r, const std::vector<std::string>& parts) {
  EXPECT_EQ(r.exit_code, 2) << r.output;
  std::string text = r.output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  EXPECT_EQ(text.find('\n'), std::string::npos) << "not one line: " << r.output;
  for (const std::string& part : parts) EXPECT_NE(text.find(part), std::string::npos) << "no '" << part << "' in: " << r.output;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace slift::test
