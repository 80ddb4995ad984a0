#include "core/dataset/layout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>

#include "core/dataset/hdf5.hpp"
#include "core/error.hpp"

namespace slift {
namespace h5 {
namespace {

// 2: The Well's checker passes (bool attributes, 1-D boundary masks, float32 dimensions, scalars
// datasets, a diagonal permeability as a t2 field). Version 1 files still read.
constexpr const char* kFormatVersion = "2";

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

}  // namespace

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
    std::vector<std::string> spatial_dims;
    for (const auto& axis : h.axes) spatial_dims.push_back(axis.name);
    attr_strings(dims, "spatial_dims", spatial_dims);
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

namespace {

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

}  // namespace

void read_header(hid_t f, const std::string& path, DatasetHeader& h, uint64_t& n_traj, std::vector<std::string>& arrays) {
  h.dataset_name = read_attr_string(f, "dataset_name");
  h.config_yaml = read_attr_string(f, "config");
  h.created_by = read_attr_string(f, "created_by");
  h.created_at = read_attr_string(f, "created_at");
  h.params_hash = read_attr_string(f, "params_hash");
  h.seed = read_attr_scalar<uint64_t>(f, "seed", H5T_NATIVE_UINT64, 0);
  h.state_names = read_attr_strings(f, "state_names");
  for (const auto& k : read_attr_strings(f, "simulation_parameters"))
    h.simulation_parameters[k] = read_attr_scalar<double>(f, k, H5T_NATIVE_DOUBLE, 0.0);
  n_traj = static_cast<uint64_t>(read_attr_scalar<int64_t>(f, "n_trajectories", H5T_NATIVE_INT64, 0));
  {
    Handle dims = open_group(f, path, "dimensions");  // absent: the time axis check below refuses it
    h.time = read_time(dims, path, n_traj);
    if (h.kind == "fields")
      for (const auto& name : axis_names(f, dims, path)) h.axes.push_back({name, read_vector(dims, name)});
  }
  if (h.kind == "states") {
    arrays = {"states"};
  } else {
    h.grid_type = read_attr_string(f, "grid_type");
    h.state_field = read_attr_string(f, "slift_state_field");
    for (const char* g : {"t0_fields", "t1_fields", "t2_fields"}) {
      Handle grp = open_group(f, path, g);
      for (const auto& n : read_attr_strings(grp, "field_names")) arrays.push_back(std::string(g) + "/" + n);
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
}

// One entry per trajectory, one frame per saved time, then the grid (fields) or one value per
// state name (states).
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

}  // namespace h5

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

}  // namespace slift
