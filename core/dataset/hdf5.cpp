#include "core/dataset/hdf5.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <numeric>

#include "core/error.hpp"

namespace slift::h5 {
namespace {

// Silence HDF5's own error stack printing: we report one clear line instead.
struct QuietHdf5 {
  QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const QuietHdf5 quiet_hdf5;

}  // namespace

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

uint64_t product(const std::vector<uint64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), uint64_t{1}, std::multiplies<>());
}

Handle select_trajectories(hid_t file_space, uint64_t first, uint64_t count, const std::vector<uint64_t>& shape) {
  std::vector<hsize_t> start(shape.size() + 1, 0), cnt{count};
  start[0] = first;
  cnt.insert(cnt.end(), shape.begin(), shape.end());
  check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr), "select");
  return Handle(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), H5Sclose);
}

}  // namespace slift::h5
