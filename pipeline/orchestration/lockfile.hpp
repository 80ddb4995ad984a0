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
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

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

// The processes of this machine that hold an flock on the file open at `fd` (/proc/locks), each as
// "reading: pid 12: slift run a.yaml ..." or "writing: ..."; "" when none is listed (a holder on
// another node of a shared filesystem).
std::string lock_holders(int fd);

// Reader-writer locks on the files of a run directory, one lock file each in .slift-locks/files/
// (data/train.h5: data_train.h5.lock),
// held by one `slift run` until it ends: a stage's inputs, and its outputs once they exist, are
// read-locked (shared) from the stage's decision on; a stage that runs write-locks its outputs
// (exclusive) until it ends. So no other slift replaces a file this run still reads, or reads one
// it writes: the other one is refused at once, in one line naming this one's pid and command.
class FileLocks {
 public:
  explicit FileLocks(std::string run_dir);
  ~FileLocks();
  FileLocks(const FileLocks&) = delete;
  FileLocks& operator=(const FileLocks&) = delete;
  // Shared locks (a write lock held here becomes shared); a usage error when another process writes one.
  void read(const std::vector<std::string>& files);
  // Exclusive locks; a usage error when another process reads or writes one.
  void write(const std::vector<std::string>& files);

 private:
  void lock(const std::string& file, bool exclusive);
  std::string run_dir_;
  std::map<std::string, int> fds_;  // lock file -> its descriptor, one per file (flock is per open file)
};

}  // namespace slift::pipeline
