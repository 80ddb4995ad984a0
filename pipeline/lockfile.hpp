// The lock file of a run directory (slift.lock.json): per stage, the stage version, the hash of
// its parameter values and the content hashes of its inputs and outputs; plus a cache of file
// hashes keyed by size and modification time, so unchanged large files are not rehashed.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace slift::pipeline {

class LockFile {
 public:
  explicit LockFile(std::string run_dir);  // reads <run_dir>/slift.lock.json if present
  // Content hash of a file relative to the run directory; nullopt if it does not exist.
  std::optional<std::string> hash(const std::string& rel_path);
  nlohmann::json* stage(const std::string& name);  // nullptr if never recorded
  void record(const std::string& name, nlohmann::json entry);
  void forget(const std::string& name);
  void save() const;  // atomically
  const std::string& run_dir() const { return run_dir_; }

 private:
  std::string run_dir_, path_;
  nlohmann::json doc_;
};

// Holds an exclusive advisory lock on a run directory for the life of the object; a second
// `slift run` on the same directory gets a clear usage error naming the holder's pid.
class RunDirLock {
 public:
  explicit RunDirLock(const std::string& run_dir);
  ~RunDirLock();
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace slift::pipeline
