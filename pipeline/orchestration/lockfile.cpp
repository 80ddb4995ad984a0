#include "pipeline/orchestration/lockfile.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <ctime>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"

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
    if (!f.is_object() || !is(f, "size", &J::is_number_unsigned) || !is(f, "inode", &J::is_number_unsigned) ||
        !is(f, "mtime", &J::is_number_integer) || !is(f, "ctime", &J::is_number_integer) ||
        !is(f, "hashed_at", &J::is_number_integer) || !is(f, "sha256", &J::is_string))
      return false;
  return true;
}

enum class Read { absent, damaged, ok };

Read parse(const std::string& path, nlohmann::json& doc) {
  std::ifstream in(path);
  if (!in) return Read::absent;
  try {
    doc = nlohmann::json::parse(in);
    if (well_formed(doc)) return Read::ok;
  } catch (const nlohmann::json::exception&) {
  }
  return Read::damaged;
}

// The lock, or an empty one when there is none. A damaged lock (truncated, empty, of wrong types)
// is said once per process, and its copy <lock>.bak, written with it, read instead: the stages'
// outputs are then checked against the hashes that copy records rather than all rerun.
nlohmann::json read_doc(const std::string& path, bool& said) {
  nlohmann::json doc;
  const Read read = parse(path, doc);
  if (read != Read::damaged) return read == Read::ok ? doc : empty_doc();
  const std::string copy = path + ".bak";
  const bool usable = parse(copy, doc) == Read::ok;
  if (!said)
    log::warn(path + " is damaged (truncated, empty or of wrong types); " +
              (usable ? "reading its copy " + copy + ": each stage's outputs are checked against the hashes it records"
                      : "no usable copy (" + copy + "): every stage runs again"));
  said = true;
  return usable ? doc : empty_doc();
}

// An open file descriptor with an flock on it; closing it releases the lock.
class Flock {
 public:
  Flock(const std::string& path, int operation) {
    fd_ = open_in_place(path, operation);  // never through a planted link
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

// A file's hash is reused only while its identity is what it was when hashed: size, inode,
// modification time and change time. The change time catches an in-place edit that kept (or
// restored) the modification time: every write and every utime() sets it, and no user can set it
// back. Timestamps are kept with a coarse clock (a few ms here, 1-2 s on some filesystems), so a
// file changed within kRacyNs before its hash was taken could change again with the same stamps:
// such a hash is never reused (git's "racy" rule). Rehashing every time instead would cost 10-17 s
// per GB on a loaded 2-core machine (2026-11-30; coreutils sha256sum 7.9 s), minutes per `slift run`
// at paper scale.
constexpr int64_t kRacyNs = 2'000'000'000;

int64_t ns(const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

timespec now() {
  timespec t {};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

nlohmann::json file_key(const struct stat& st) {
  return {{"size", static_cast<uint64_t>(st.st_size)},
          {"inode", static_cast<uint64_t>(st.st_ino)},
          {"mtime", ns(st.st_mtim)},
          {"ctime", ns(st.st_ctim)}};
}

bool trusted(const nlohmann::json& cached, const nlohmann::json& key) {
  for (const auto& [field, value] : key.items())
    if (!cached.contains(field) || cached[field] != value) return false;
  const int64_t changed = std::max(key["mtime"].get<int64_t>(), key["ctime"].get<int64_t>());
  return cached.contains("sha256") && cached.contains("hashed_at") &&
         changed + kRacyNs < cached["hashed_at"].get<int64_t>();
}

// "label_dim=4/train:sl" -> "label_dim_4_train_sl": a file name.
std::string file_name(const std::string& stage) {
  std::string out = stage;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '_';
  return out;
}

}  // namespace

LockFile::LockFile(std::string run_dir) : run_dir_(std::move(run_dir)), path_(run_dir_ + "/slift.lock.json") {
  doc_ = read_doc(path_, said_damage_);
}

void LockFile::reload() {
  doc_ = read_doc(path_, said_damage_);
  for (const auto& [rel, entry] : hashed_.items()) doc_["files"][rel] = entry;
}

std::optional<std::string> LockFile::hash(const std::string& rel) {
  const std::string p = (fs::path(run_dir_) / rel).string();
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  const nlohmann::json key = file_key(st);
  auto& cache = doc_["files"];
  if (cache.contains(rel) && trusted(cache[rel], key)) return cache[rel]["sha256"].get<std::string>();
  // The clock is read before hashing: a change made while the hash runs falls within the margin.
  const int64_t hashed_at = ns(now());
  nlohmann::json entry = key;
  entry["hashed_at"] = hashed_at;
  entry["sha256"] = sha256_file(p);
  cache[rel] = hashed_[rel] = entry;
  return entry["sha256"].get<std::string>();
}

const nlohmann::json* LockFile::stage(const std::string& name) const {
  const auto& stages = doc_["stages"];
  return stages.contains(name) ? &stages[name] : nullptr;
}

void LockFile::commit(const std::string& name, const nlohmann::json& entry) {
  create_directories(run_dir_);
  Flock guard(path_ + ".flock", LOCK_EX);  // blocks: others hold it only for a read and a rename
  if (!guard.held()) runtime_error("cannot lock " + path_ + ".flock");
  reload();
  if (entry.is_null()) doc_["stages"].erase(name);
  else doc_["stages"][name] = entry;
  const std::string text = doc_.dump(2) + "\n";
  write_file_atomic(path_ + ".bak", text);  // the copy a damaged lock is recovered from
  write_file_atomic(path_, text);
}

StageLock::StageLock(const std::string& run_dir, const std::string& stage) {
  const std::string dir = run_dir + "/.slift-locks";
  create_directories(dir);
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

namespace {

// A process as `ps` would show it: "pid 123: slift run a.yaml --set seed=2" (shortened).
std::string describe_process(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/cmdline");
  std::string command, word;
  while (std::getline(in, word, '\0')) command += (command.empty() ? fs::path(word).filename().string() : " " + word);
  constexpr size_t kShown = 200;
  if (command.size() > kShown) command = command.substr(0, kShown) + "...";
  return "pid " + pid + (command.empty() ? "" : ": " + command);
}

}  // namespace

// /proc/locks lists "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF": the holder's pid, the
// file's device and inode. This process is left out.
std::string lock_holders(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return "";
  char id[64];
  std::snprintf(id, sizeof id, "%02x:%02x:%lu", major(st.st_dev), minor(st.st_dev), static_cast<unsigned long>(st.st_ino));
  std::ifstream in("/proc/locks");
  std::string holders;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string number, kind, advisory, access, pid, file;
    words >> number >> kind >> advisory >> access >> pid >> file;
    if (kind != "FLOCK" || file != id || pid == std::to_string(::getpid())) continue;  // a waiter: "1: -> FLOCK ..."
    holders += (holders.empty() ? "" : "; ") + std::string(access == "WRITE" ? "writing: " : "reading: ") +
               describe_process(pid);
  }
  return holders;
}

FileLocks::FileLocks(std::string run_dir) : run_dir_(std::move(run_dir)) {}

FileLocks::~FileLocks() {
  for (const auto& [_, fd] : fds_) ::close(fd);  // releases the locks
}

void FileLocks::read(const std::vector<std::string>& files) {
  for (const auto& f : files) lock(f, false);
}

void FileLocks::write(const std::vector<std::string>& files) {
  for (const auto& f : files) lock(f, true);
}

void FileLocks::lock(const std::string& file, bool exclusive) {
  const std::string path = run_dir_ + "/.slift-locks/files/" + file_name(file) + ".lock";  // not a *.h5 itself
  auto it = fds_.find(path);
  if (it == fds_.end()) {
    create_directories(fs::path(path).parent_path().string());
    it = fds_.emplace(path, open_in_place(path, 0)).first;
  }
  // Locking again changes the kind of a lock held here (a failed change loses it: the run is
  // refused then anyway).
  if (::flock(it->second, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) return;
  const std::string holders = lock_holders(it->second);
  usage_error(file + " in " + run_dir_ + " is " + (exclusive ? "in use" : "being written") + " by another slift (" +
              (holders.empty() ? "not on this machine?" : holders) + "); " + (exclusive ? "writing" : "reading") +
              " it now would mix the two runs' data: wait for that one to end, or use another output_dir");
}

}  // namespace slift::pipeline
