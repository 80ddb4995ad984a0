#include "core/dataset.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <numeric>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/version.hpp"

namespace slift {
namespace {

// 2: The Well's checker passes (bool attributes, 1-D boundary masks, float32 dimensions, scalars
// datasets, a diagonal permeability as a t2 field). Version 1 files still read.
constexpr const char* kFormatVersion = "2";

// Silence HDF5's own error stack printing: we report one clear line instead.
struct QuietHdf5 {
  QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const QuietHdf5 quiet_hdf5;

struct Handle {  // closes any HDF5 id
  hid_t id = -1;
  herr_t (*close)(hid_t) = nullptr;
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  Handle(Handle&& o) noexcept : id(o.id), close(o.close) { o.id = -1; }
  ~Handle() {
    if (id >= 0 && close) close(id);
  }
  operator hid_t() const { return id; }
};

void check(herr_t status, const std::string& what) {
  if (status >= 0) return;
  // HDF5's own error stack is silenced: the system's reason, a full disk above all, is named.
  const int e = errno;
  if (e == ENOSPC || e == EDQUOT || e == EIO || e == EFBIG) runtime_error("HDF5: " + what + " failed: " + std::strerror(e));
  runtime_error("HDF5: " + what + " failed");
}
hid_t check_id(hid_t id, const std::string& what) {
  if (id < 0) runtime_error("HDF5: " + what + " failed");
  return id;
}

Handle group(hid_t parent, const std::string& name) {
  return Handle(check_id(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create group " + name),
                H5Gclose);
}

void attr_string(hid_t obj, const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle a(check_id(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "attribute " + name), H5Aclose);
  const char* p = value.c_str();
  check(H5Awrite(a, type, &p), "write attribute " + name);
}

void attr_strings(hid_t obj, const std::string& name, const std::vector<std::string>& values) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle a(check_id(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "attribute " + name), H5Aclose);
  std::vector<const char*> ptrs;
  for (auto& v : values) ptrs.push_back(v.c_str());
  if (!ptrs.empty()) check(H5Awrite(a, type, ptrs.data()), "write attribute " + name);
}

template <class T>
void attr_scalar(hid_t obj, const std::string& name, hid_t type, T value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle a(check_id(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "attribute " + name), H5Aclose);
  check(H5Awrite(a, type, &value), "write attribute " + name);
}

// Booleans as h5py and NumPy store them (an int8 enum FALSE = 0, TRUE = 1): h5py reads them as
// numpy.bool_, which The Well's checker and loader require.
Handle bool_type() {
  Handle t(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose);
  for (int8_t v : {0, 1}) check(H5Tenum_insert(t, v ? "TRUE" : "FALSE", &v), "bool type");
  return t;
}

void attr_bool(hid_t obj, const std::string& name, bool v) {
  Handle type = bool_type();
  attr_scalar<int8_t>(obj, name, type, v);
}

void attr_bools(hid_t obj, const std::string& name, const std::vector<bool>& values) {
  hsize_t n = values.size();
  std::vector<int8_t> raw(values.begin(), values.end());
  Handle type = bool_type();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle a(check_id(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "attribute " + name), H5Aclose);
  check(H5Awrite(a, type, raw.data()), "write attribute " + name);
}

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

// Reading an attribute of several values into one would overrun the buffer: refused.
void require_single(hid_t a, const std::string& name) {
  Handle space(H5Aget_space(a), H5Sclose);
  if (H5Sget_simple_extent_npoints(space) != 1) usage_error("attribute '" + name + "' is not a single value");
}

std::string read_attr_string(hid_t obj, const std::string& name) {
  if (!has_attr(obj, name)) return "";
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  require_single(a, name);
  Handle ftype(H5Aget_type(a), H5Tclose);
  if (H5Tget_class(ftype) != H5T_STRING) return "";
  if (H5Tis_variable_str(ftype) > 0) {
    Handle mtype(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mtype, H5T_VARIABLE);
    H5Tset_cset(mtype, H5Tget_cset(ftype));
    char* p = nullptr;
    check(H5Aread(a, mtype, &p), "read attribute " + name);
    std::string s = p ? p : "";
    H5free_memory(p);
    return s;
  }
  size_t n = H5Tget_size(ftype);
  std::string s(n, '\0');
  check(H5Aread(a, ftype, s.data()), "read attribute " + name);
  return s.substr(0, s.find('\0'));
}

// A boolean attribute of either format version: a bool enum (2) or a uint8 (1).
bool read_attr_bool(hid_t obj, const std::string& name, bool fallback) {
  if (!has_attr(obj, name)) return fallback;
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle ftype(H5Aget_type(a), H5Tclose);
  Handle mtype(H5Tget_native_type(ftype, H5T_DIR_ASCEND), H5Tclose);
  if (H5Tget_size(mtype) != 1) runtime_error("HDF5: attribute " + name + " is not a boolean");
  uint8_t v = 0;
  check(H5Aread(a, mtype, &v), "read attribute " + name);
  return v != 0;
}

std::vector<std::string> read_attr_strings(hid_t obj, const std::string& name) {
  std::vector<std::string> out;
  if (!has_attr(obj, name)) return out;
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle space(H5Aget_space(a), H5Sclose);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  Handle ftype(H5Aget_type(a), H5Tclose);
  if (n == 0) return out;  // h5py writes an empty list as an empty float64 array
  if (n < 0 || H5Tget_class(ftype) != H5T_STRING) usage_error("attribute '" + name + "' is not a list of strings");
  Handle mtype(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mtype, H5T_VARIABLE);
  H5Tset_cset(mtype, H5Tget_cset(ftype));
  std::vector<char*> ptrs(n);
  check(H5Aread(a, mtype, ptrs.data()), "read attribute " + name);
  for (auto* p : ptrs) {
    out.emplace_back(p ? p : "");
    H5free_memory(p);
  }
  return out;
}

template <class T>
T read_attr_scalar(hid_t obj, const std::string& name, hid_t type, T fallback) {
  if (!has_attr(obj, name)) return fallback;
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  require_single(a, name);
  T v{};
  check(H5Aread(a, type, &v), "read attribute " + name);
  return v;
}

void write_vector(hid_t parent, const std::string& name, const std::vector<double>& v, hid_t file_type) {
  hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle d(check_id(H5Dcreate2(parent, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    "dataset " + name),
           H5Dclose);
  if (n) check(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "write " + name);
}

std::vector<double> read_vector(hid_t parent, const std::string& name) {
  if (H5Lexists(parent, name.c_str(), H5P_DEFAULT) <= 0) return {};
  Handle d(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (d < 0) return {};  // a group or a broken link: the caller refuses the missing axis
  Handle space(H5Dget_space(d), H5Sclose);
  std::vector<double> v(std::max<hssize_t>(0, H5Sget_simple_extent_npoints(space)));
  if (!v.empty()) check(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "read " + name);
  return v;
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

uint64_t product(const std::vector<uint64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), uint64_t{1}, std::multiplies<>());
}

// The root attributes: the format, provenance, size, resume counter and the simulation
// parameters (returned: their names).
std::vector<std::string> write_root_attributes(hid_t file, const DatasetHeader& h, uint64_t n_traj) {
  attr_string(file, "slift_format", h.kind);
  attr_string(file, "slift_format_version", kFormatVersion);
  attr_string(file, "dataset_name", h.dataset_name);
  attr_string(file, "created_by", h.created_by);
  attr_string(file, "created_at", h.created_at);
  attr_string(file, "config", h.config_yaml);
  attr_string(file, "params_hash", h.params_hash);
  attr_scalar<uint64_t>(file, "seed", H5T_NATIVE_UINT64, h.seed);
  attr_scalar<int64_t>(file, "n_trajectories", H5T_NATIVE_INT64, static_cast<int64_t>(n_traj));
  attr_scalar<uint64_t>(file, "slift_n_done", H5T_NATIVE_UINT64, 0);
  std::vector<std::string> param_names;
  for (const auto& [k, v] : h.simulation_parameters) {
    // Parameters share the root attributes with the format's own: a clash would silently
    // replace provenance or the resume counter.
    for (const char* r : {"slift_format", "slift_format_version", "dataset_name", "created_by", "created_at", "config",
                          "params_hash", "seed", "n_trajectories", "slift_n_done", "slift_complete",
                          "simulation_parameters", "state_names", "grid_type", "n_spatial_dims", "slift_state_field"})
      SLIFT_ASSERT(k != r, "simulation parameter '" + k + "' clashes with a reserved root attribute");
    param_names.push_back(k);
    attr_scalar<double>(file, k, H5T_NATIVE_DOUBLE, v);
  }
  attr_strings(file, "simulation_parameters", param_names);
  return param_names;
}

// The Well's boundary conditions: one group each, with a 1-D mask along the condition's axis.
void write_boundary_conditions(hid_t file, const DatasetHeader& h, const std::vector<ArraySpec>& arrays) {
  Handle bcs = group(file, "boundary_conditions");
  for (const auto& bc : h.boundary_conditions) {
    Handle g = group(bcs, bc.name);
    attr_string(g, "bc_type", bc.bc_type);
    attr_strings(g, "associated_dims", bc.associated_dims);
    std::vector<std::string> fields;
    for (const auto& a : arrays) fields.push_back(a.path.substr(a.path.find('/') + 1));
    attr_strings(g, "associated_fields", fields);
    attr_bool(g, "sample_varying", false);
    attr_bool(g, "time_varying", false);
    // The Well's mask: 1-D along the condition's axis, true on the two boundary cells.
    SLIFT_ASSERT(bc.associated_dims.size() == 1, "boundary condition '" + bc.name + "' needs exactly one axis");
    const auto axis = std::find_if(h.axes.begin(), h.axes.end(), [&](const Axis& a) { return a.name == bc.associated_dims[0]; });
    SLIFT_ASSERT(axis != h.axes.end(), "boundary condition '" + bc.name + "' names no axis of the data set");
    hsize_t n = axis->coordinates.size();
    std::vector<int8_t> mask(n, 0);
    if (n) mask.front() = mask.back() = 1;
    Handle type = bool_type();
    Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    Handle d(check_id(H5Dcreate2(g, "mask", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "mask"), H5Dclose);
    check(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, mask.data()), "write mask");
  }
}

// The Well lists each simulation parameter both as a root attribute and as a constant scalar.
void write_scalars(hid_t file, const DatasetHeader& h, const std::vector<std::string>& param_names) {
  Handle scalars = group(file, "scalars");
  attr_strings(scalars, "field_names", param_names);
  for (const auto& [k, v] : h.simulation_parameters) {
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle d(check_id(H5Dcreate2(scalars, k.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                      "scalar " + k),
             H5Dclose);
    check(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v), "write scalar " + k);
    attr_bool(d, "sample_varying", false);
    attr_bool(d, "time_varying", false);
  }
}

// The data arrays, sized for n_traj and chunked by trajectory; fields (n_axes > 0) say along which
// axes they vary.
void create_arrays(hid_t file, const std::vector<ArraySpec>& arrays, uint64_t n_traj, bool compress, size_t n_axes) {
  for (const auto& a : arrays) {
    std::vector<hsize_t> dims_full{n_traj};
    dims_full.insert(dims_full.end(), a.shape.begin(), a.shape.end());
    std::vector<hsize_t> chunk = dims_full;
    chunk[0] = 1;  // one trajectory per chunk: readers take trajectories, writers append blocks
    Handle space(H5Screate_simple(static_cast<int>(dims_full.size()), dims_full.data(), nullptr), H5Sclose);
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    check(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), "chunking of " + a.path);
    if (compress) {
      H5Pset_shuffle(dcpl);
      H5Pset_deflate(dcpl, 4);
    }
    Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl, 1);
    Handle d(check_id(H5Dcreate2(file, a.path.c_str(), H5T_IEEE_F32LE, space, lcpl, dcpl, H5P_DEFAULT), "dataset " + a.path),
             H5Dclose);
    attr_bool(d, "sample_varying", true);
    attr_bool(d, "time_varying", a.time_varying);
    if (n_axes > 0) attr_bools(d, "dim_varying", a.dim_varying.empty() ? std::vector<bool>(n_axes, true) : a.dim_varying);
  }
}

// Creates the whole layout, with data arrays sized for n_traj and chunked by trajectory.
void create_layout(hid_t file, const DatasetHeader& h, const std::vector<ArraySpec>& arrays, uint64_t n_traj,
                   bool compress) {
  const std::vector<std::string> param_names = write_root_attributes(file, h, n_traj);
  // The Well stores its dimensions as float32; the states kind keeps its float64 times.
  const hid_t dim_type = h.kind == "fields" ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
  Handle dims = group(file, "dimensions");
  write_vector(dims, "time", h.time, dim_type);
  {
    Handle t(H5Dopen2(dims, "time", H5P_DEFAULT), H5Dclose);
    attr_bool(t, "sample_varying", false);
    attr_bool(t, "time_varying", true);
  }
  if (h.kind == "states") {
    attr_strings(file, "state_names", h.state_names);
    attr_strings(dims, "spatial_dims", {});
  } else {
    attr_string(file, "grid_type", h.grid_type);
    SLIFT_ASSERT(!h.axes.empty() && h.axes.size() <= 3, "a field data set has 1, 2 or 3 spatial axes");
    attr_scalar<int64_t>(file, "n_spatial_dims", H5T_NATIVE_INT64, static_cast<int64_t>(h.axes.size()));
    if (!h.state_field.empty()) attr_string(file, "slift_state_field", h.state_field);
    std::vector<std::string> names;
    for (const auto& axis : h.axes) names.push_back(axis.name);
    attr_strings(dims, "spatial_dims", names);
    for (const auto& axis : h.axes) {
      write_vector(dims, axis.name, axis.coordinates, dim_type);
      Handle d(H5Dopen2(dims, axis.name.c_str(), H5P_DEFAULT), H5Dclose);
      attr_bool(d, "sample_varying", false);
      attr_bool(d, "time_varying", false);
    }
    write_boundary_conditions(file, h, arrays);
    write_scalars(file, h, param_names);
    for (const char* g : {"t0_fields", "t1_fields", "t2_fields"}) {
      Handle grp = group(file, g);
      std::vector<std::string> names;
      for (const auto& a : arrays)
        if (a.path.rfind(std::string(g) + "/", 0) == 0) names.push_back(a.path.substr(a.path.find('/') + 1));
      attr_strings(grp, "field_names", names);
    }
  }
  create_arrays(file, arrays, n_traj, compress, h.kind == "fields" ? h.axes.size() : 0);
}

// ---- writer ---------------------------------------------------------------------------------

// One writer per output: an exclusive flock on the .partial itself, taken before anything reads
// or truncates it, so a second writer is refused instead of deleting the first one's data.
// Returns the descriptor that holds the lock; a link planted at the name is refused.
int lock_partial(const std::string& partial) {
  const int fd = open_in_place(partial, LOCK_EX | LOCK_NB, /*data=*/true);
  if (fd < 0) usage_error(partial + " is being written by another slift; wait for it to finish or write elsewhere");
  return fd;
}

// HDF5 opens files by name, and a name can be swapped for a link between our check and its open:
// HDF5 is given /proc/self/fd/<fd> instead, which resolves to the very file our O_NOFOLLOW
// descriptor holds, whatever happens to the name meanwhile.
std::string held_file(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

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

// HDF5's own file lock is off for the .partial: it would conflict with ours in this process.
Handle unlocked_access() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  check(H5Pset_file_locking(fapl, false, true), "file access properties");
  return fapl;
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
  const Handle fapl = unlocked_access();
  struct stat held {};
  if (::fstat(impl_->lock, &held) == 0 && held.st_size > 0) {
    // Resume only a file of the same content identity; anything else starts afresh.
    hid_t f = H5Fopen(held_file(impl_->lock).c_str(), H5F_ACC_RDWR, fapl);
    if (f >= 0) {
      bool same = false;
      try {
        same = read_attr_string(f, "params_hash") == header.params_hash &&
               read_attr_scalar<int64_t>(f, "n_trajectories", H5T_NATIVE_INT64, -1) == static_cast<int64_t>(n_traj);
        for (const auto& a : arrays) same = same && H5Lexists(f, a.path.c_str(), H5P_DEFAULT) > 0;
      } catch (const Error&) {
        same = false;  // unreadable leftovers: start afresh
      }
      if (same) {
        impl_->file = f;
        impl_->n_done = read_attr_scalar<uint64_t>(f, "slift_n_done", H5T_NATIVE_UINT64, 0);
        return;
      }
      H5Fclose(f);
    }
  }
  DatasetHeader h = header;
  h.created_by = std::string("slift ") + version() + " (" + git_commit() + ")";
  h.created_at = now_utc();
  impl_->file = check_id(H5Fcreate(held_file(impl_->lock).c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl),
                         "create " + impl_->partial);
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
  std::vector<hsize_t> start(a.shape.size() + 1, 0), cnt{count};
  start[0] = first;
  cnt.insert(cnt.end(), a.shape.begin(), a.shape.end());
  check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr), "select");
  Handle mspace(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), H5Sclose);
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
  attr_bool(impl_->file, "slift_complete", true);
  check(H5Fclose(impl_->file), "close " + impl_->partial);
  impl_->file = -1;
  if (::fsync(impl_->lock) != 0) runtime_error("cannot write " + impl_->partial + ": " + std::strerror(errno));
  std::filesystem::rename(impl_->partial, impl_->path);
  ::close(impl_->lock);  // readers of the complete file take HDF5's shared lock
  impl_->lock = -1;
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

// ---- reader ---------------------------------------------------------------------------------

namespace {

char being_read[4096];  // a plain buffer: read by a signal handler

// Names the file for dataset_being_read() while a reader calls into HDF5.
struct Reading {
  explicit Reading(const std::string& path) { std::snprintf(being_read, sizeof being_read, "%s", path.c_str()); }
  ~Reading() { being_read[0] = '\0'; }
};

}  // namespace

const char* dataset_being_read() { return being_read; }

struct DatasetReader::Impl {
  // Closes the file also when the constructor refuses it: HDF5 would otherwise keep it open
  // read-only, and a later writer in this process could not reopen the .partial to resume.
  ~Impl() {
    if (file >= 0) H5Fclose(file);
  }
  std::string path;
  hid_t file = -1;
  DatasetHeader header;
  uint64_t n_traj = 0;
  std::vector<std::string> arrays;
};

namespace {

// An array of the file: a hard link to a dataset and nothing else (not a group, a scalar, an
// external or soft link, a link loop), so every later read is of a real array.
Handle open_array(hid_t file, const std::string& file_path, const std::string& array) {
  if (H5Lexists(file, array.c_str(), H5P_DEFAULT) <= 0) usage_error(file_path + ": no array '" + array + "'");
  H5L_info_t link;
  if (H5Lget_info(file, array.c_str(), &link, H5P_DEFAULT) < 0 || link.type != H5L_TYPE_HARD)
    usage_error(file_path + ": '" + array + "' is a link, not an array");
  Handle d(H5Oopen(file, array.c_str(), H5P_DEFAULT), H5Oclose);
  if (d < 0 || H5Iget_type(d) != H5I_DATASET) usage_error(file_path + ": '" + array + "' is not an array");
  return d;
}

// A group of the file; an invalid handle when it is absent (callers read nothing from it), a bad
// input file when the name is something else.
Handle open_group(hid_t parent, const std::string& file_path, const std::string& name) {
  if (parent < 0 || H5Lexists(parent, name.c_str(), H5P_DEFAULT) <= 0) return Handle(-1, H5Gclose);
  Handle g(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose);
  if (g < 0) usage_error(file_path + ": '" + name + "' is not a group");
  return g;
}

// The names of a group's members, in the group's own order (none for an invalid handle).
std::vector<std::string> member_names(hid_t group, const std::string& what) {
  std::vector<std::string> names;
  if (group < 0) return names;
  H5G_info_t info;
  if (H5Gget_info(group, &info) < 0) usage_error(what + ": cannot list its members");
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0) usage_error(what + ": cannot read the name of member " + std::to_string(i));
    std::string name(static_cast<size_t>(n) + 1, '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<size_t>(n));
    names.push_back(name);
  }
  return names;
}

// The time axis: one for all trajectories (n_time), or one per trajectory (n_traj, n_time) as The
// Well allows, taken when every row is the same and refused otherwise. Rows are compared a block
// at a time: a file may declare millions of them.
std::vector<double> read_time(hid_t dims, const std::string& file_path, uint64_t n_traj) {
  if (dims < 0 || H5Lexists(dims, "time", H5P_DEFAULT) <= 0) return {};
  Handle d(H5Dopen2(dims, "time", H5P_DEFAULT), H5Dclose);
  if (d < 0) return {};  // a group or a broken link: the caller refuses the missing axis
  Handle space(H5Dget_space(d), H5Sclose);
  if (H5Sget_simple_extent_ndims(space) != 2) return read_vector(dims, "time");
  hsize_t shape[2];
  H5Sget_simple_extent_dims(space, shape, nullptr);
  if (shape[0] != n_traj || shape[1] == 0)
    usage_error(file_path + ": dimensions/time is " + std::to_string(shape[0]) + " x " + std::to_string(shape[1]) +
                ", neither one time axis nor one per trajectory (n_trajectories " + std::to_string(n_traj) + ")");
  const hsize_t rows_per_block = std::max<hsize_t>(1, (hsize_t{1} << 20) / shape[1]);
  std::vector<double> first, block;
  for (hsize_t row = 0; row < shape[0]; row += rows_per_block) {
    hsize_t start[2] = {row, 0}, count[2] = {std::min(rows_per_block, shape[0] - row), shape[1]};
    check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr), "select");
    Handle mspace(H5Screate_simple(2, count, nullptr), H5Sclose);
    block.resize(count[0] * count[1]);
    if (H5Dread(d, H5T_NATIVE_DOUBLE, mspace, space, H5P_DEFAULT, block.data()) < 0)
      usage_error(file_path + ": cannot read dimensions/time (truncated or corrupt?)");
    if (first.empty()) first.assign(block.begin(), block.begin() + static_cast<std::ptrdiff_t>(shape[1]));
    for (hsize_t i = 0; i < count[0]; ++i)
      if (!std::equal(first.begin(), first.end(), block.begin() + static_cast<std::ptrdiff_t>(i * shape[1])))
        usage_error(file_path + ": dimensions/time gives each trajectory its own times, and trajectory " +
                    std::to_string(row + i) + "'s differ from trajectory 0's; slift learns from one time axis");
  }
  return first;
}

// Values HDF5 cannot convert to float (h5py writes complex numbers as a compound type) are
// refused as what they are, not as a damaged file when read.
void check_real(hid_t array, const std::string& file_path, const std::string& name) {
  Handle type(H5Dget_type(array), H5Tclose);
  const H5T_class_t c = H5Tget_class(type);
  if (c == H5T_FLOAT || c == H5T_INTEGER) return;
  usage_error(file_path + ": '" + name + "' holds " +
              (c == H5T_COMPOUND ? "complex or compound" : c == H5T_STRING ? "text" : "non-numeric") +
              " values; slift reads real numbers");
}

// Whether a writer holds `path` now (the exclusive lock of a .partial being written, or of an
// HDF5 writer): HDF5 then refuses to open it, which must not read as a damaged file.
bool being_written(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const bool held = fd >= 0 && ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  if (fd >= 0) ::close(fd);
  return held;
}

// The spatial axes' names: dimensions/spatial_dims, else the first n_spatial_dims of x, y, z (x, y
// when neither is there, as older slift files). 1, 2 or 3 of them; n_spatial_dims, when the file
// has it, must count them.
std::vector<std::string> axis_names(hid_t file, hid_t dims, const std::string& file_path) {
  const int64_t n = read_attr_scalar<int64_t>(file, "n_spatial_dims", H5T_NATIVE_INT64, 2);
  std::vector<std::string> names = read_attr_strings(dims, "spatial_dims");
  const std::vector<std::string> usual{"x", "y", "z"};
  if (names.empty() && n >= 1 && n <= 3) names.assign(usual.begin(), usual.begin() + n);
  if (names.empty() || names.size() > 3)
    usage_error(file_path + ": " +
                (names.empty() ? "n_spatial_dims is " + std::to_string(n)
                               : "dimensions/spatial_dims lists " + std::to_string(names.size()) + " axes") +
                "; slift reads fields of 1, 2 or 3 spatial dimensions");
  if (has_attr(file, "n_spatial_dims") && n != static_cast<int64_t>(names.size()))
    usage_error(file_path + ": n_spatial_dims is " + std::to_string(n) + " but dimensions/spatial_dims lists " +
                std::to_string(names.size()) + " axes");
  for (auto a = names.begin(); a != names.end(); ++a)
    if (std::find(a + 1, names.end(), *a) != names.end())
      usage_error(file_path + ": dimensions/spatial_dims lists the axis '" + *a + "' twice");
  return names;
}

// The shape every reader relies on: one entry per trajectory, one frame per saved time, then the
// grid (fields) or one value per state name (states). Refused as a bad input file otherwise.
void check_shape(const std::string& file_path, const DatasetHeader& h, uint64_t n_traj, const ArraySpec& s,
                 const std::vector<hsize_t>& dims) {
  auto refuse = [&](const std::string& what) { usage_error(file_path + ": '" + s.path + "' " + what); };
  if (dims.empty() || dims[0] != n_traj)
    refuse("does not hold one entry per trajectory (n_trajectories " + std::to_string(n_traj) + ")");
  std::vector<uint64_t> want;  // the leading axes of one trajectory
  if (s.time_varying || h.kind == "states") want.push_back(h.time.size());
  std::vector<uint64_t> grid;  // kind "fields": the points along each spatial axis
  for (const auto& axis : h.axes) grid.push_back(axis.coordinates.size());
  want.insert(want.end(), grid.begin(), grid.end());
  const auto starts_with = [&](const std::vector<uint64_t>& axes) {
    return s.shape.size() >= axes.size() && std::equal(axes.begin(), axes.end(), s.shape.begin());
  };
  if (!starts_with(want)) {
    grid.insert(grid.begin(), h.time.size());
    if (h.kind == "fields" && !s.time_varying && starts_with(grid))
      refuse("has one frame per saved time but is marked not time-varying (attribute time_varying false)");
    refuse(h.kind == "fields" ? "does not match the time axis and the grid" : "does not match the time axis");
  }
  if (h.kind == "states" && (s.shape.size() != 2 || s.shape[1] == 0 ||
                             (!h.state_names.empty() && s.shape[1] != h.state_names.size())))
    refuse("is not (n_traj, n_time, one value per state name)");
}

}  // namespace

DatasetReader::DatasetReader(const std::string& path, const std::string& expected_kind) : impl_(std::make_unique<Impl>()) {
  const Reading reading(path);
  impl_->path = path;
  if (!std::filesystem::exists(path)) usage_error("no such dataset: " + path);
  if (!std::filesystem::is_regular_file(path)) usage_error(path + ": not a file");
  if (being_written(path)) usage_error(path + ": is being written by another process; wait for it to finish");
  if (H5Fis_hdf5(path.c_str()) <= 0) usage_error(path + ": not an HDF5 file (truncated or corrupt?)");
  impl_->file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (impl_->file < 0) usage_error(path + ": cannot be opened as HDF5 (truncated or corrupt?)");
  try {
    hid_t f = impl_->file;
    DatasetHeader& h = impl_->header;
    h.kind = read_attr_string(f, "slift_format");
    // A data set of The Well written by others (h5py, The Well's own tools): fields, complete by
    // construction (no slift_complete mark).
    const bool foreign = h.kind.empty() && has_attr(f, "n_spatial_dims") && H5Lexists(f, "t0_fields", H5P_DEFAULT) > 0;
    if (foreign) h.kind = "fields";
    if (h.kind.empty()) usage_error(path + ": not a slift dataset nor one of The Well (no 'slift_format' attribute)");
    if (!foreign && !read_attr_bool(f, "slift_complete", false))
      usage_error(path + ": incomplete dataset (the run that wrote it did not finish)");
    if (h.kind != "states" && h.kind != "fields") usage_error(path + ": unknown dataset kind '" + h.kind + "'");
    if (!expected_kind.empty() && h.kind != expected_kind)
      usage_error(path + ": dataset of kind '" + h.kind + "', expected '" + expected_kind + "'");
    read_layout();
  } catch (const Error& e) {  // an attribute or group of the wrong type: a bad input file, named
    if (std::string(e.what()).rfind(path + ": ", 0) == 0) throw;
    usage_error(path + ": " + e.what());
  }
}

void DatasetReader::read_layout() {
  const std::string& path = impl_->path;
  hid_t f = impl_->file;
  DatasetHeader& h = impl_->header;
  h.dataset_name = read_attr_string(f, "dataset_name");
  h.config_yaml = read_attr_string(f, "config");
  h.created_by = read_attr_string(f, "created_by");
  h.created_at = read_attr_string(f, "created_at");
  h.params_hash = read_attr_string(f, "params_hash");
  h.seed = read_attr_scalar<uint64_t>(f, "seed", H5T_NATIVE_UINT64, 0);
  h.state_names = read_attr_strings(f, "state_names");
  for (const auto& k : read_attr_strings(f, "simulation_parameters"))
    h.simulation_parameters[k] = read_attr_scalar<double>(f, k, H5T_NATIVE_DOUBLE, 0.0);
  impl_->n_traj = static_cast<uint64_t>(read_attr_scalar<int64_t>(f, "n_trajectories", H5T_NATIVE_INT64, 0));
  {
    Handle dims = open_group(f, path, "dimensions");  // absent: the time axis check below refuses it
    h.time = read_time(dims, path, impl_->n_traj);
    if (h.kind == "fields")
      for (const auto& name : axis_names(f, dims, path)) h.axes.push_back({name, read_vector(dims, name)});
  }
  if (h.kind == "states") {
    impl_->arrays = {"states"};
  } else {
    h.grid_type = read_attr_string(f, "grid_type");
    h.state_field = read_attr_string(f, "slift_state_field");
    for (const char* g : {"t0_fields", "t1_fields", "t2_fields"}) {
      Handle grp = open_group(f, path, g);
      for (const auto& n : read_attr_strings(grp, "field_names")) impl_->arrays.push_back(std::string(g) + "/" + n);
    }
    Handle bcs = open_group(f, path, "boundary_conditions");
    for (const auto& name : member_names(bcs, path + ": boundary_conditions")) {
      Handle g = open_group(bcs, path, name);
      if (g < 0) usage_error(path + ": boundary condition '" + name + "' is not a group");
      h.boundary_conditions.push_back({name, read_attr_string(g, "bc_type"), read_attr_strings(g, "associated_dims")});
    }
  }
  if (h.time.empty() || !std::all_of(h.time.begin(), h.time.end(), [](double t) { return std::isfinite(t); }) ||
      std::adjacent_find(h.time.begin(), h.time.end(), std::greater_equal<>()) != h.time.end())
    usage_error(path + ": the time axis (dimensions/time) is missing, not finite or not increasing");
  for (const auto& a : impl_->arrays) spec(a);  // checks every array's shape
}

DatasetReader::~DatasetReader() = default;

const DatasetHeader& DatasetReader::header() const { return impl_->header; }
uint64_t DatasetReader::n_traj() const { return impl_->n_traj; }
std::vector<std::string> DatasetReader::array_paths() const { return impl_->arrays; }

ArraySpec DatasetReader::spec(const std::string& array_path) const {
  const Reading reading(impl_->path);
  Handle d = open_array(impl_->file, impl_->path, array_path);
  Handle space(H5Dget_space(d), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(std::max(rank, 0));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  ArraySpec s;
  s.path = array_path;
  if (!dims.empty()) s.shape.assign(dims.begin() + 1, dims.end());
  s.time_varying = read_attr_bool(d, "time_varying", true);
  check_real(d, impl_->path, array_path);
  check_shape(impl_->path, impl_->header, impl_->n_traj, s, dims);
  return s;
}

namespace {
// Why a vector (t1_fields) or tensor (t2_fields) field cannot be the state.
std::string unsupported_state(const std::string& array) {
  return "the state '" + array + "' is a " + (array[1] == '1' ? "vector" : "tensor") +
         " field; vector and tensor states are not supported (slift learns one scalar field of t0_fields)";
}
}  // namespace

std::string DatasetReader::state_field() const {
  std::vector<std::string> dynamic;  // the time-varying t0 fields, in the file's order
  for (const auto& a : impl_->arrays)
    if (a.rfind("t0_fields/", 0) == 0 && spec(a).time_varying) dynamic.push_back(a);
  const std::string& named = impl_->header.state_field;
  if (!named.empty()) {
    const std::string array = "t0_fields/" + named;
    if (std::find(dynamic.begin(), dynamic.end(), array) == dynamic.end())
      usage_error(impl_->path + ": slift_state_field '" + named + "' is not a time-varying field of t0_fields");
    return array;
  }
  const bool by_slift = impl_->header.created_by.rfind("slift ", 0) == 0;
  if (dynamic.size() == 1 || (by_slift && !dynamic.empty())) return dynamic[0];
  if (dynamic.empty()) {
    for (const auto& a : impl_->arrays)
      if (spec(a).time_varying) usage_error(impl_->path + ": " + unsupported_state(a));
    usage_error(impl_->path + ": no time-varying field in t0_fields: nothing to learn");
  }
  std::string names;
  for (const auto& a : dynamic) names += (names.empty() ? "" : ", ") + a.substr(a.find('/') + 1);
  usage_error(impl_->path + ": cannot tell which time-varying t0 field is the state (" + names +
              "); name it with the config key data.state_field (or the file's root attribute slift_state_field)");
}

std::string DatasetReader::state_field(const std::string& chosen) const {
  if (chosen.empty()) return state_field();
  for (const char* group : {"t0_fields/", "t1_fields/", "t2_fields/"}) {
    const std::string array = group + chosen;
    if (std::find(impl_->arrays.begin(), impl_->arrays.end(), array) == impl_->arrays.end()) continue;
    if (array[1] != '0') usage_error(impl_->path + ": " + unsupported_state(array));
    if (!spec(array).time_varying)
      usage_error(impl_->path + ": '" + array + "' is a static field (time_varying false); the state must vary in time");
    return array;
  }
  usage_error(impl_->path + ": no field '" + chosen + "' in t0_fields, t1_fields or t2_fields");
}

std::string DatasetReader::unwritten(const std::string& array_path) const {
  const Reading reading(impl_->path);
  Handle d = open_array(impl_->file, impl_->path, array_path);
  Handle dcpl(H5Dget_create_plist(d), H5Pclose);
  if (H5Pget_nfilters(dcpl) > 0) return "";  // compressed: the stored size tells nothing
  Handle space(H5Dget_space(d), H5Sclose);
  Handle type(H5Dget_type(d), H5Tclose);
  const double declared = static_cast<double>(H5Sget_simple_extent_npoints(space)) * static_cast<double>(H5Tget_size(type));
  const double stored = static_cast<double>(H5Dget_storage_size(d));
  if (stored >= declared) return "";
  char text[256];
  std::snprintf(text, sizeof text, "'%s' declares %llu trajectories (%.3g MB) but the file holds %.3g MB of them: "
                "the rest were never written", array_path.c_str(), static_cast<unsigned long long>(impl_->n_traj),
                declared / 1e6, stored / 1e6);
  return text;
}

std::string DatasetReader::attribute(const std::string& name) const {
  const Reading reading(impl_->path);
  return read_attr_string(impl_->file, name);
}

std::vector<float> DatasetReader::read(const std::string& array_path, uint64_t first, uint64_t count) const {
  const Reading reading(impl_->path);
  ArraySpec s = spec(array_path);
  if (count == 0) count = impl_->n_traj - std::min(first, impl_->n_traj);
  if (first + count > impl_->n_traj) usage_error(impl_->path + ": trajectory range out of bounds");
  Handle d = open_array(impl_->file, impl_->path, array_path);
  Handle fspace(H5Dget_space(d), H5Sclose);
  std::vector<hsize_t> start(s.shape.size() + 1, 0), cnt{count};
  start[0] = first;
  cnt.insert(cnt.end(), s.shape.begin(), s.shape.end());
  check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr), "select");
  Handle mspace(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), H5Sclose);
  std::vector<float> out(count * product(s.shape));
  if (!out.empty() && H5Dread(d, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, out.data()) < 0)
    usage_error(impl_->path + ": cannot read '" + array_path + "' (truncated or corrupt?)");
  return out;
}

double uniform_time_step(const std::vector<double>& time) {
  if (time.size() < 2) return 0;
  const double step = (time.back() - time.front()) / static_cast<double>(time.size() - 1);
  // Saved times are float32 in The Well's layout: steps agree to its rounding of the largest time.
  const double tolerance = 1e-4 * std::abs(step) + 1e-6 * std::max(std::abs(time.front()), std::abs(time.back()));
  for (size_t i = 1; i < time.size(); ++i)
    if (std::abs(time[i] - time[i - 1] - step) > tolerance) return 0;
  return step;
}

std::string time_steps_text(const std::vector<double>& time) {
  if (time.size() < 2) return "one time";
  char text[96];
  if (const double step = uniform_time_step(time); step > 0) {
    std::snprintf(text, sizeof text, "step %g", step);
  } else {
    std::vector<double> steps(time.size());
    std::adjacent_difference(time.begin(), time.end(), steps.begin());
    const auto [lo, hi] = std::minmax_element(steps.begin() + 1, steps.end());
    std::snprintf(text, sizeof text, "not uniform: steps from %g to %g", *lo, *hi);
  }
  return text;
}

std::string first_non_finite(const std::vector<float>& data, uint64_t n_time, uint64_t per_frame) {
  const auto bad = std::find_if(data.begin(), data.end(), [](float v) { return !std::isfinite(v); });
  if (bad == data.end()) return "";
  const uint64_t frame = static_cast<uint64_t>(bad - data.begin()) / per_frame;
  return std::string(std::isnan(*bad) ? "nan" : *bad > 0 ? "inf" : "-inf") + " at frame " + std::to_string(frame % n_time) +
         " of trajectory " + std::to_string(frame / n_time);
}

std::vector<std::string> axis_boundaries(const DatasetHeader& h) {
  std::vector<std::string> types;
  for (const auto& axis : h.axes) {
    std::string type, named_by;  // the axis's boundary type and the condition that gave it
    for (const auto& bc : h.boundary_conditions) {
      if (std::find(bc.associated_dims.begin(), bc.associated_dims.end(), axis.name) == bc.associated_dims.end()) continue;
      if (bc.bc_type != "PERIODIC" && bc.bc_type != "WALL" && bc.bc_type != "OPEN")
        usage_error("boundary condition '" + bc.name + "' of the axis '" + axis.name + "' has the type '" + bc.bc_type +
                    "'; slift knows PERIODIC, WALL and OPEN");
      if (!type.empty() && bc.bc_type != type)
        usage_error("the axis '" + axis.name + "' has two boundary conditions: " + type + " ('" + named_by + "') and " +
                    bc.bc_type + " ('" + bc.name + "')");
      type = bc.bc_type;
      named_by = bc.name;
    }
    if (type.empty())
      usage_error("the axis '" + axis.name + "' has no boundary condition (none in boundary_conditions/ names it in "
                  "associated_dims)");
    types.push_back(type);
  }
  return types;
}

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
