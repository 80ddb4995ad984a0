#include "core/dataset/writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/dataset/hdf5.hpp"
#include "core/error.hpp"
#include "core/version.hpp"

namespace slift {

using namespace h5;

namespace {

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// A write that fails for lack of space can be lost inside HDF5 (its chunk path swallowed ENOSPC,
// and a full disk ended in a file marked complete holding zeros): the whole uncompressed size is
// reserved up front, so a full disk is refused before anything is computed. A reservation that
// cannot fit is refused before it is tried, and one that fails half-way is given back: fallocate
// keeps the blocks it got before ENOSPC, which would leave the disk full for every other process.
void reserve_space(int fd, const std::string& partial, uint64_t bytes) {
  struct stat held {};
  struct statvfs disk {};
  const auto refuse = [&](int err) {
    const std::string size =
        bytes >> 20 ? std::to_string(bytes >> 20) + " MiB" : std::to_string((bytes + 1023) >> 10) + " KiB";
    if (held.st_size == 0) ::unlink(partial.c_str());  // made by this writer, holds nothing
    runtime_error("cannot reserve " + size + " for " + partial + ": " + std::strerror(err));
  };
  // The file's size decides what a failed reservation may give back or remove: without it, nothing is.
  if (::fstat(fd, &held) != 0) runtime_error("cannot stat " + partial + ": " + std::strerror(errno));
  if (::fstatvfs(fd, &disk) == 0) {
    const uint64_t allocated = uint64_t(held.st_blocks) * 512, available = uint64_t(disk.f_bavail) * disk.f_frsize;
    if (bytes > allocated && bytes - allocated > available) refuse(ENOSPC);
  }
  if (::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes)) == 0 || errno == EOPNOTSUPP || errno == ENOSYS)
    return;
  const int err = errno;
  if (held.st_size < static_cast<off_t>(bytes))
    ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, held.st_size, static_cast<off_t>(bytes) - held.st_size);
  refuse(err);
}

}  // namespace

struct DatasetWriter::Impl {
  ~Impl() {  // also when the constructor throws half-way through the layout
    if (file >= 0) H5Fclose(file);
    if (lock >= 0) ::close(lock);  // releases the .partial for a later resume
  }
  std::string path, partial;
  std::vector<ArraySpec> arrays;
  uint64_t n_traj = 0, n_done = 0;
  hid_t file = -1;
  int lock = -1;
};

DatasetWriter::DatasetWriter(const std::string& path, const DatasetHeader& header, const std::vector<ArraySpec>& arrays,
                             uint64_t n_traj, bool compress)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->partial = path + ".partial";
  impl_->arrays = arrays;
  impl_->n_traj = n_traj;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) create_directories(parent.string());

  impl_->lock = lock_partial(impl_->partial);
  uint64_t bytes = (64 << 10) + header.config_yaml.size();  // metadata
  for (const auto& a : arrays) bytes += n_traj * (4 * product(a.shape) + 64);  // float32 + chunk index
  reserve_space(impl_->lock, impl_->partial, bytes);
  impl_->file = resume_partial(impl_->lock, header.params_hash, arrays, n_traj, impl_->n_done);
  if (impl_->file >= 0) return;
  DatasetHeader h = header;
  h.created_by = std::string("slift ") + version() + " (" + git_commit() + ")";
  h.created_at = now_utc();
  impl_->file = create_partial(impl_->lock, impl_->partial);
  create_layout(impl_->file, h, arrays, n_traj, compress);
  check(H5Fflush(impl_->file, H5F_SCOPE_GLOBAL), "flush " + impl_->partial);
}

DatasetWriter::~DatasetWriter() = default;

uint64_t DatasetWriter::n_done() const { return impl_->n_done; }

void DatasetWriter::set_attribute(const std::string& name, const std::string& text) {
  attr_string(impl_->file, name, text);
}

std::string DatasetWriter::attribute(const std::string& name) const { return read_attr_string(impl_->file, name); }

void DatasetWriter::write(size_t index, uint64_t first, uint64_t count, const float* data) {
  SLIFT_ASSERT(index < impl_->arrays.size(), "array index out of range");
  SLIFT_ASSERT(first + count <= impl_->n_traj, "trajectory range out of bounds");
  if (count == 0) return;
  const ArraySpec& a = impl_->arrays[index];
  Handle d(check_id(H5Dopen2(impl_->file, a.path.c_str(), H5P_DEFAULT), "open " + a.path), H5Dclose);
  Handle fspace(H5Dget_space(d), H5Sclose);
  const Handle mspace = select_trajectories(fspace, first, count, a.shape);
  check(H5Dwrite(d, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, data), "write " + a.path + " of " + impl_->partial);
}

void DatasetWriter::commit(uint64_t n_done) {
  attr_scalar<uint64_t>(impl_->file, "slift_n_done", H5T_NATIVE_UINT64, n_done);
  check(H5Fflush(impl_->file, H5F_SCOPE_GLOBAL), "flush " + impl_->partial);
  impl_->n_done = n_done;
}

void DatasetWriter::finish() {
  SLIFT_ASSERT(impl_->file >= 0, "finish() called twice");
  commit(impl_->n_traj);
  complete_partial(impl_->file, impl_->lock, impl_->partial, impl_->path);
}

void add_static_fields(const std::string& path, const std::vector<ArraySpec>& specs,
                       const std::vector<std::vector<float>>& frames) {
  Handle file(check_id(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), "open " + path + " for writing"), H5Fclose);
  const auto n_traj = read_attr_scalar<uint64_t>(file, "n_trajectories", H5T_NATIVE_UINT64, 0);
  const auto n_axes = read_attr_scalar<uint64_t>(file, "n_spatial_dims", H5T_NATIVE_UINT64, 0);
  create_arrays(file, specs, n_traj, false, n_axes);
  for (size_t k = 0; k < specs.size(); ++k) {
    const std::string& a = specs[k].path;
    SLIFT_ASSERT(frames[k].size() == product(specs[k].shape), "one frame per static field");
    std::vector<float> all;
    for (uint64_t i = 0; i < n_traj; ++i) all.insert(all.end(), frames[k].begin(), frames[k].end());
    Handle d(check_id(H5Dopen2(file, a.c_str(), H5P_DEFAULT), "open " + a), H5Dclose);
    check(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()), "write " + a);
    Handle grp(check_id(H5Gopen2(file, a.substr(0, a.find('/')).c_str(), H5P_DEFAULT), "open group of " + a), H5Gclose);
    std::vector<std::string> names = read_attr_strings(grp, "field_names");
    names.push_back(a.substr(a.find('/') + 1));
    check(H5Adelete(grp, "field_names"), "field_names of " + a);
    attr_strings(grp, "field_names", names);
  }
}

}  // namespace slift
