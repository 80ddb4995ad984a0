// The lock file of a run directory (slift.lock.json): per stage, the stage version, the hash of
// its parameter values and the content hashes of its inputs and outputs; plus a cache of file
// hashes keyed by size, inode, modification and change time, so unchanged large files are not
// rehashed (lockfile.cpp says when a cached hash is not trusted).
//
// Several `slift run`s may work in one run directory at once (SLURM array tasks of a sweep, or
// train:sl and train:deterministic as separate jobs): each holds a StageLock on the stages it
// runs, and every change to the file is a read-modify-write under a short exclusive lock, so no
// process loses another's records.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace slift::pipeline {

class LockFile {
 public:
  // Reads <run_dir>/slift.lock.json if present; a damaged one is reported and its copy
  // slift.lock.json.bak read instead.
  explicit LockFile(std::string run_dir);
  // Re-reads the file (records other processes made meanwhile), keeping the hashes computed here.
  void reload();
  // Content hash of a file relative to the run directory; nullopt if it does not exist.
  std::optional<std::string> hash(const std::string& rel_path);
  const nlohmann::json* stage(const std::string& name) const;  // nullptr if never recorded
  // Records a stage's entry (null: forgets the stage) in the file on disk, with the hashes
  // computed here, by a locked read-modify-write.
  void commit(const std::string& name, const nlohmann::json& entry);
  const std::string& run_dir() const { return run_dir_; }

 private:
  std::string run_dir_, path_;
  nlohmann::json doc_;
  nlohmann::json hashed_ = nlohmann::json::object();  // file hashes this process computed
  bool said_damage_ = false;  // a damaged lock file is reported once
};

// Holds an exclusive advisory lock on one stage of a run directory for the life of the object:
// a second process that wants to run the same stage gets a clear usage error naming the holder.
class StageLock {
 public:
  StageLock(const std::string& run_dir, const std::string& stage);
  ~StageLock();
  StageLock(const StageLock&) = delete;
  StageLock& operator=(const StageLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace slift::pipeline
