// The slift dataset format on HDF5 (docs/dataset-format.md).
//
// Two kinds share one writer and one reader:
//   "states": low-dimensional trajectories, `states` (n_traj, n_time, dim) + `dimensions/time`;
//   "fields": fields on a grid of 1, 2 or 3 axes in The Well's layout, `t0_fields/u`
//             (n_traj, n_time, n_1, ..., n_d), static fields without the time axis, `dimensions/`,
//             `boundary_conditions/`, `scalars/`.
// Every file carries provenance (resolved config, seed, slift version, git commit, time).
//
// Writing is crash-safe and resumable: data go to "<path>.partial", blocks of trajectories are
// flushed with a `slift_n_done` counter, and the file is renamed to <path> only when complete.
// A reader refuses a file without the completion mark. One writer per output: a second writer of
// the same path is refused while the first holds its .partial.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
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

class DatasetWriter {
 public:
  // Starts "<path>.partial", or resumes it when it holds the same params_hash and arrays.
  DatasetWriter(const std::string& path, const DatasetHeader& header, const std::vector<ArraySpec>& arrays,
                uint64_t n_traj, bool compress = false);
  ~DatasetWriter();  // leaves the .partial file for a later resume if finish() was not called
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  uint64_t n_done() const;  // trajectories already stored (resume point)
  // A root text attribute the run learns after the start (provenance such as the FFT wisdom of
  // its plans): set before the first commit, it belongs to every block. "" when absent.
  void set_attribute(const std::string& name, const std::string& text);
  std::string attribute(const std::string& name) const;
  // Write trajectories [first, first + count) of array `index`; data is count x prod(shape).
  void write(size_t index, uint64_t first, uint64_t count, const float* data);
  // Mark trajectories [0, n_done) complete and flush to disk.
  void commit(uint64_t n_done);
  // Mark the file complete, close it and rename it into place.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class DatasetReader {
 public:
  // Opens a complete slift dataset; `expected_kind` ("" for any) refuses the wrong kind.
  explicit DatasetReader(const std::string& path, const std::string& expected_kind = "");
  ~DatasetReader();
  const DatasetHeader& header() const;
  uint64_t n_traj() const;
  std::vector<std::string> array_paths() const;
  ArraySpec spec(const std::string& array_path) const;
  // The time-varying field that is the system's state (kind "fields"), as the file names it (root
  // attribute `slift_state_field`, written from DatasetHeader::state_field). Files without it
  // (older slift, The Well's format written by others): the only time-varying t0 field; several
  // in a file slift wrote: the first listed (older slift listed the state first). Learning and
  // evaluation both use this, so they always look at the same array.
  std::string state_field() const;
  // The same with the state named by the reader's caller (a config's data.state_field; "": the
  // file's own choice as above): a time-varying field of t0_fields, else refused naming why (a
  // vector or tensor field, a static one, none of that name).
  std::string state_field(const std::string& chosen) const;
  // Why an array's data are not all in the file ("" when they are, or when compression hides
  // it): HDF5 lets a file declare any size and hold none of it, read back as zeros (a sparse file
  // of kilobytes declaring gigabytes).
  std::string unwritten(const std::string& array_path) const;
  // A root text attribute ("" when absent).
  std::string attribute(const std::string& name) const;
  // Trajectories [first, first + count) of an array (count = 0: all), as float32.
  std::vector<float> read(const std::string& array_path, uint64_t first = 0, uint64_t count = 0) const;

 private:
  void read_layout();  // the header and every array's shape, checked
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Adds static fields, each one frame the same in every trajectory, to a complete field data set in
// place (arrays and attributes as the writer makes them, listed in their group's field_names). For
// copies of a data set (slift export-well): it changes the file.
void add_static_fields(const std::string& path, const std::vector<ArraySpec>& specs,
                       const std::vector<std::vector<float>>& frames);

// The dataset file this process is reading now ("" if none), for the `slift` command's last word
// should the HDF5 library crash on a corrupt file (its global heap is read unchecked).
const char* dataset_being_read();

// The step of a uniform time axis, or 0 when the steps differ (beyond float32 rounding of the
// saved times) or there are fewer than two times.
double uniform_time_step(const std::vector<double>& time);
// The steps in words: "step 0.1", "not uniform: steps from 0.1 to 0.3", "one time".
std::string time_steps_text(const std::vector<double>& time);

// Where `data` (n trajectories x n_time frames x per_frame values, as read() returns them) holds
// its first non-finite value, e.g. "nan at frame 2 of trajectory 1", or "" when all are finite.
std::string first_non_finite(const std::vector<float>& data, uint64_t n_time, uint64_t per_frame);

// Whether `path` is a complete dataset of this content identity: a rerun keeps it as it is.
bool is_complete_dataset(const std::string& path, const std::string& params_hash, uint64_t n_traj);

}  // namespace slift
