// The layout of a slift data set: its header (kinds, axes, boundaries, provenance) and the shape
// of each array (docs/dataset-format.md). Written and read in HDF5 by core/dataset/layout.cpp.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace slift {

// One array of the file, with its shape per trajectory (the leading n_traj axis is implicit).
struct ArraySpec {
  std::string path;                // e.g. "states", "t0_fields/u", "t1_fields/K"
  std::vector<uint64_t> shape;     // per trajectory, e.g. {n_time, nx, ny} or {nx, ny}
  bool time_varying = true;        // The Well attribute; static fields drop the time axis
  std::vector<bool> dim_varying;   // The Well attribute (fields): varies along each axis (empty: all)
};

struct BoundaryCondition {
  std::string name;                // e.g. "periodic_x"
  std::string bc_type;             // "PERIODIC", "WALL", "OPEN"
  std::vector<std::string> associated_dims;  // e.g. {"x"}
};

// One spatial axis of a field data set, in the order of the arrays' trailing dimensions.
struct Axis {
  std::string name;                 // as in The Well's dimensions/spatial_dims, e.g. "x"
  std::vector<double> coordinates;  // dimensions/<name>
};

struct DatasetHeader {
  std::string kind;                // "states" or "fields"
  std::string dataset_name;        // e.g. "duffing", "wave"
  std::vector<double> time;        // saved times (length n_time)
  std::vector<std::string> state_names;     // kind "states": names of the components
  std::vector<Axis> axes;          // kind "fields": 1, 2 or 3 spatial axes
  std::string state_field;         // kind "fields": the t0 field that is the system's state, e.g. "u"
  std::string grid_type = "cartesian";
  std::vector<BoundaryCondition> boundary_conditions;
  std::map<std::string, double> simulation_parameters;  // also written as root attributes
  // Provenance.
  std::string config_yaml;
  uint64_t seed = 0;
  std::string created_by;          // filled by the writer: "slift <version> (<commit>)"
  std::string created_at;          // filled by the writer: ISO-8601 UTC
  std::string params_hash;         // identity of the content, used to accept a resume
};

// The boundary type of every axis ("PERIODIC", "WALL" or "OPEN"), from the boundary conditions
// that name it (associated_dims); a usage_error naming the file's problem when an axis has none
// or two different ones.
std::vector<std::string> axis_boundaries(const DatasetHeader& h);

// The step of a uniform time axis, or 0 when the steps differ (beyond float32 rounding of the
// saved times) or there are fewer than two times.
double uniform_time_step(const std::vector<double>& time);
// The steps in words: "step 0.1", "not uniform: steps from 0.1 to 0.3", "one time".
std::string time_steps_text(const std::vector<double>& time);

}  // namespace slift
