#include "pipeline/lockfile.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"

namespace fs = std::filesystem;

namespace slift::pipeline {

LockFile::LockFile(std::string run_dir) : run_dir_(std::move(run_dir)), path_(run_dir_ + "/slift.lock.json") {
  doc_ = {{"format", 1}, {"stages", nlohmann::json::object()}, {"files", nlohmann::json::object()}};
  std::ifstream in(path_);
  if (!in) return;
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("format", 0) == 1) doc_ = j;
  } catch (const nlohmann::json::exception&) {
    // A damaged lock only costs reruns: start from an empty one.
  }
}

std::optional<std::string> LockFile::hash(const std::string& rel) {
  fs::path p = fs::path(run_dir_) / rel;
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (ec || !fs::is_regular_file(st)) return std::nullopt;
  auto size = fs::file_size(p);
  auto mtime = fs::last_write_time(p).time_since_epoch().count();
  auto& cache = doc_["files"];
  if (cache.contains(rel)) {
    const auto& c = cache[rel];
    if (c.value("size", uint64_t{0}) == size && c.value("mtime", int64_t{0}) == static_cast<int64_t>(mtime))
      return c["sha256"].get<std::string>();
  }
  std::string h = sha256_file(p.string());
  cache[rel] = {{"size", size}, {"mtime", static_cast<int64_t>(mtime)}, {"sha256", h}};
  return h;
}

nlohmann::json* LockFile::stage(const std::string& name) {
  auto& stages = doc_["stages"];
  return stages.contains(name) ? &stages[name] : nullptr;
}

void LockFile::record(const std::string& name, nlohmann::json entry) { doc_["stages"][name] = std::move(entry); }
void LockFile::forget(const std::string& name) { doc_["stages"].erase(name); }

void LockFile::save() const {
  write_file_atomic(path_, doc_.dump(2) + "\n");
}

RunDirLock::RunDirLock(const std::string& run_dir) {
  fs::create_directories(run_dir);
  std::string path = run_dir + "/.slift-run.pid";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
  if (fd_ < 0) runtime_error("cannot open " + path);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {0};
    ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, n) : "?";
    ::close(fd_);
    fd_ = -1;
    usage_error("another slift run (pid " + pid + ") is working in " + run_dir +
                "; wait for it to finish (its lock is released when it exits)");
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is only informative; the flock is what protects the directory.
  }
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace slift::pipeline
