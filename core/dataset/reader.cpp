#include "core/dataset/reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/dataset/hdf5.hpp"
#include "core/error.hpp"

namespace slift {

using namespace h5;

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
  read_header(impl_->file, impl_->path, impl_->header, impl_->n_traj, impl_->arrays);
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
  const Handle mspace = select_trajectories(fspace, first, count, s.shape);
  std::vector<float> out(count * product(s.shape));
  if (!out.empty() && H5Dread(d, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, out.data()) < 0)
    usage_error(impl_->path + ": cannot read '" + array_path + "' (truncated or corrupt?)");
  return out;
}

std::string first_non_finite(const std::vector<float>& data, uint64_t n_time, uint64_t per_frame) {
  const auto bad = std::find_if(data.begin(), data.end(), [](float v) { return !std::isfinite(v); });
  if (bad == data.end()) return "";
  const uint64_t frame = static_cast<uint64_t>(bad - data.begin()) / per_frame;
  return std::string(std::isnan(*bad) ? "nan" : *bad > 0 ? "inf" : "-inf") + " at frame " + std::to_string(frame % n_time) +
         " of trajectory " + std::to_string(frame / n_time);
}

}  // namespace slift
