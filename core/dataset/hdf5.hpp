// The HDF5 plumbing that the parts of the dataset format share (internal to core/dataset/; users
// include core/dataset.hpp): handles, attributes as h5py writes them, and each part's HDF5-level
// functions.
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/dataset/layout.hpp"

namespace slift::h5 {

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

// A failed HDF5 call as a runtime error naming `what` (and the system's reason: a full disk).
void check(herr_t status, const std::string& what);
hid_t check_id(hid_t id, const std::string& what);
Handle group(hid_t parent, const std::string& name);

// ---- attributes: written as h5py writes them, read from either format version
void attr_string(hid_t obj, const std::string& name, const std::string& value);
void attr_strings(hid_t obj, const std::string& name, const std::vector<std::string>& values);
template <class T>
void attr_scalar(hid_t obj, const std::string& name, hid_t type, T value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle a(check_id(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "attribute " + name), H5Aclose);
  check(H5Awrite(a, type, &value), "write attribute " + name);
}

// Booleans as h5py and NumPy store them (an int8 enum FALSE = 0, TRUE = 1): h5py reads them as
// numpy.bool_, which The Well's checker and loader require.
Handle bool_type();
void attr_bool(hid_t obj, const std::string& name, bool v);
void attr_bools(hid_t obj, const std::string& name, const std::vector<bool>& values);

bool has_attr(hid_t obj, const std::string& name);
// Reading an attribute of several values into one would overrun the buffer: refused.
void require_single(hid_t a, const std::string& name);
std::string read_attr_string(hid_t obj, const std::string& name);
// A boolean attribute of either format version: a bool enum (2) or a uint8 (1).
bool read_attr_bool(hid_t obj, const std::string& name, bool fallback);
std::vector<std::string> read_attr_strings(hid_t obj, const std::string& name);
template <class T>
T read_attr_scalar(hid_t obj, const std::string& name, hid_t type, T fallback) {
  if (!has_attr(obj, name)) return fallback;
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  require_single(a, name);
  T v{};
  check(H5Aread(a, type, &v), "read attribute " + name);
  return v;
}

void write_vector(hid_t parent, const std::string& name, const std::vector<double>& v, hid_t file_type);
std::vector<double> read_vector(hid_t parent, const std::string& name);

uint64_t product(const std::vector<uint64_t>& shape);
// Selects trajectories [first, first + count) of an array of `shape` per trajectory in its file
// space; returns the memory space of that block.
Handle select_trajectories(hid_t file_space, uint64_t first, uint64_t count, const std::vector<uint64_t>& shape);

// ---- layout.cpp: the header and arrays in The Well's layout
// Creates the whole layout, with data arrays sized for n_traj and chunked by trajectory.
void create_layout(hid_t file, const DatasetHeader& h, const std::vector<ArraySpec>& arrays, uint64_t n_traj,
                   bool compress);
// The data arrays, sized for n_traj and chunked by trajectory; fields (n_axes > 0) say along which
// axes they vary.
void create_arrays(hid_t file, const std::vector<ArraySpec>& arrays, uint64_t n_traj, bool compress, size_t n_axes);
// The header of a file whose kind is known (h.kind), its trajectory count and its arrays' paths;
// a bad input file is refused naming `path`.
void read_header(hid_t file, const std::string& path, DatasetHeader& h, uint64_t& n_traj,
                 std::vector<std::string>& arrays);
// The shape every reader relies on: refused as a bad input file otherwise.
void check_shape(const std::string& file_path, const DatasetHeader& h, uint64_t n_traj, const ArraySpec& s,
                 const std::vector<hsize_t>& dims);

// ---- resume.cpp: the .partial of a writer
// Takes the writer's lock on `partial`: the descriptor that holds it.
int lock_partial(const std::string& partial);
// The held .partial opened for writing when it holds the same content (params_hash, n_traj, every
// array), with the trajectories it already holds; -1 when it must be written afresh.
hid_t resume_partial(int lock, const std::string& params_hash, const std::vector<ArraySpec>& arrays, uint64_t n_traj,
                     uint64_t& n_done);
// The held .partial, emptied and opened for writing.
hid_t create_partial(int lock, const std::string& partial);
// Marks the file complete, closes it (file = -1), and renames it into place (lock released: -1).
void complete_partial(hid_t& file, int& lock, const std::string& partial, const std::string& path);
// Whether a writer holds `path` now.
bool being_written(const std::string& path);

}  // namespace slift::h5
