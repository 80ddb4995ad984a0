#include "core/dataset/resume.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/dataset/hdf5.hpp"
#include "core/dataset/reader.hpp"
#include "core/error.hpp"

namespace slift {
namespace h5 {
namespace {

// HDF5 opens files by name, and a name can be swapped for a link between our check and its open:
// HDF5 is given /proc/self/fd/<fd> instead, which resolves to the very file our O_NOFOLLOW
// descriptor holds, whatever happens to the name meanwhile.
std::string held_file(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// HDF5's own file lock is off for the .partial: it would conflict with ours in this process.
Handle unlocked_access() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  check(H5Pset_file_locking(fapl, false, true), "file access properties");
  return fapl;
}

}  // namespace

// One writer per output: an exclusive flock on the .partial itself, taken before anything reads
// or truncates it, so a second writer is refused instead of deleting the first one's data.
// Returns the descriptor that holds the lock; a link planted at the name is refused.
int lock_partial(const std::string& partial) {
  const int fd = open_in_place(partial, LOCK_EX | LOCK_NB, /*data=*/true);
  if (fd < 0) usage_error(partial + " is being written by another slift; wait for it to finish or write elsewhere");
  return fd;
}

hid_t resume_partial(int lock, const std::string& params_hash, const std::vector<ArraySpec>& arrays, uint64_t n_traj,
                     uint64_t& n_done) {
  const Handle fapl = unlocked_access();
  struct stat held {};
  if (::fstat(lock, &held) != 0 || held.st_size == 0) return -1;
  // Resume only a file of the same content identity; anything else starts afresh.
  hid_t f = H5Fopen(held_file(lock).c_str(), H5F_ACC_RDWR, fapl);
  if (f < 0) return -1;
  bool same = false;
  try {
    same = read_attr_string(f, "params_hash") == params_hash &&
           read_attr_scalar<int64_t>(f, "n_trajectories", H5T_NATIVE_INT64, -1) == static_cast<int64_t>(n_traj);
    for (const auto& a : arrays) same = same && H5Lexists(f, a.path.c_str(), H5P_DEFAULT) > 0;
  } catch (const Error&) {
    same = false;  // unreadable leftovers: start afresh
  }
  if (same) {
    n_done = read_attr_scalar<uint64_t>(f, "slift_n_done", H5T_NATIVE_UINT64, 0);
    return f;
  }
  H5Fclose(f);
  return -1;
}

hid_t create_partial(int lock, const std::string& partial) {
  const Handle fapl = unlocked_access();
  return check_id(H5Fcreate(held_file(lock).c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), "create " + partial);
}

void complete_partial(hid_t& file, int& lock, const std::string& partial, const std::string& path) {
  attr_bool(file, "slift_complete", true);
  check(H5Fclose(file), "close " + partial);
  file = -1;
  if (::fsync(lock) != 0) runtime_error("cannot write " + partial + ": " + std::strerror(errno));
  std::filesystem::rename(partial, path);
  ::close(lock);  // readers of the complete file take HDF5's shared lock
  lock = -1;
}

// The exclusive lock of a .partial being written, or of an HDF5 writer: HDF5 then refuses to open
// the file, which must not read as a damaged file.
bool being_written(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const bool held = fd >= 0 && ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  if (fd >= 0) ::close(fd);
  return held;
}

}  // namespace h5

bool is_complete_dataset(const std::string& path, const std::string& params_hash, uint64_t n_traj) {
  if (!std::filesystem::is_regular_file(path)) return false;
  try {
    DatasetReader r(path);
    return r.header().params_hash == params_hash && r.n_traj() == n_traj;
  } catch (const Error&) {
    return false;  // unreadable or incomplete: written afresh
  }
}

}  // namespace slift
