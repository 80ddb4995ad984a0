#include "pipeline/orchestration/lockfile.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"

namespace fs = std::filesystem;

namespace slift::pipeline {
namespace {

nlohmann::json empty_doc() {
  return {{"format", 1}, {"stages", nlohmann::json::object()}, {"files", nlohmann::json::object()}};
}

// The types every reader of the lock relies on (a record of wrong types ended in a JSON type error
// that named no file).
bool well_formed(const nlohmann::json& j) {
  // Each field may be missing (readers take a default), never of another type.
  auto is = [](const nlohmann::json& o, const char* key, bool (nlohmann::json::*type)() const noexcept) {
    const auto it = o.find(key);
    return it == o.end() || ((*it).*type)();
  };
  auto strings = [](const nlohmann::json& o, const char* key) {
    const auto it = o.find(key);
    return it == o.end() || (it->is_object() && std::all_of(it->begin(), it->end(), [](const nlohmann::json& v) {
                               return v.is_string();
                             }));
  };
  using J = nlohmann::json;
  if (!j.is_object() || j.value("format", 0) != 1 || !j.contains("stages") || !j["stages"].is_object() ||
      !j.contains("files") || !j["files"].is_object())
    return false;
  for (const auto& r : j["stages"])
    if (!r.is_object() || !is(r, "version", &J::is_number_integer) || !is(r, "params", &J::is_string) ||
        !strings(r, "inputs") || !strings(r, "outputs"))
      return false;
  for (const auto& f : j["files"])
    if (!f.is_object() || !is(f, "size", &J::is_number_unsigned) || !is(f, "mtime", &J::is_number_integer) ||
        !is(f, "sha256", &J::is_string))
      return false;
  return true;
}

nlohmann::json read_doc(const std::string& path) {
  std::ifstream in(path);
  if (!in) return empty_doc();
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    if (well_formed(j)) return j;
  } catch (const nlohmann::json::exception&) {
    // A damaged lock only costs reruns: start from an empty one.
  }
  return empty_doc();
}

// An open file descriptor with an flock on it; closing it releases the lock.
class Flock {
 public:
  Flock(const std::string& path, int operation) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) runtime_error("cannot open " + path);
    if (::flock(fd_, operation) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Flock() {
    if (fd_ >= 0) ::close(fd_);
  }
  Flock(const Flock&) = delete;
  Flock& operator=(const Flock&) = delete;
  bool held() const { return fd_ >= 0; }
  int release() {  // hands the descriptor (and the lock) to the caller
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// "label_dim=4/train:sl" -> "label_dim_4_train_sl": a file name.
std::string file_name(const std::string& stage) {
  std::string out = stage;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '_';
  return out;
}

}  // namespace

LockFile::LockFile(std::string run_dir) : run_dir_(std::move(run_dir)), path_(run_dir_ + "/slift.lock.json") {
  doc_ = read_doc(path_);
}

void LockFile::reload() {
  doc_ = read_doc(path_);
  for (const auto& [rel, entry] : hashed_.items()) doc_["files"][rel] = entry;
}

std::optional<std::string> LockFile::hash(const std::string& rel) {
  fs::path p = fs::path(run_dir_) / rel;
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (ec || !fs::is_regular_file(st)) return std::nullopt;
  auto size = fs::file_size(p);
  auto mtime = static_cast<int64_t>(fs::last_write_time(p).time_since_epoch().count());
  auto& cache = doc_["files"];
  if (cache.contains(rel)) {
    const auto& c = cache[rel];
    if (c.value("size", uint64_t{0}) == size && c.value("mtime", int64_t{0}) == mtime && c.contains("sha256"))
      return c["sha256"].get<std::string>();
  }
  std::string h = sha256_file(p.string());
  cache[rel] = hashed_[rel] = {{"size", size}, {"mtime", mtime}, {"sha256", h}};
  return h;
}

const nlohmann::json* LockFile::stage(const std::string& name) const {
  const auto& stages = doc_["stages"];
  return stages.contains(name) ? &stages[name] : nullptr;
}

void LockFile::commit(const std::string& name, const nlohmann::json& entry) {
  fs::create_directories(run_dir_);
  Flock guard(path_ + ".flock", LOCK_EX);  // blocks: others hold it only for a read and a rename
  if (!guard.held()) runtime_error("cannot lock " + path_ + ".flock");
  reload();
  if (entry.is_null()) doc_["stages"].erase(name);
  else doc_["stages"][name] = entry;
  write_file_atomic(path_, doc_.dump(2) + "\n");
}

StageLock::StageLock(const std::string& run_dir, const std::string& stage) {
  const std::string dir = run_dir + "/.slift-locks";
  fs::create_directories(dir);
  const std::string path = dir + "/" + file_name(stage);
  Flock lock(path, LOCK_EX | LOCK_NB);
  if (!lock.held()) {
    std::ifstream in(path);
    std::string holder;
    std::getline(in, holder);
    usage_error("stage " + stage + " in " + run_dir + " is being run by another slift (" +
                (holder.empty() ? "pid ?" : holder) + "); wait for it to finish (its lock is released when it exits)");
  }
  fd_ = lock.release();
  std::string who = "pid " + std::to_string(::getpid());
  if (const char* job = std::getenv("SLURM_JOB_ID")) who += ", SLURM job " + std::string(job);
  who += "\n";
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, who.data(), who.size(), 0) < 0) {
    // Who holds the lock is only informative; the flock is what protects the stage.
  }
}

StageLock::~StageLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace slift::pipeline
