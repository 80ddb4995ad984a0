// Reading a complete slift data set, or one of The Well written by others, with every array's
// shape checked against the header before any data are read.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dataset/layout.hpp"

namespace slift {

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

// The dataset file this process is reading now ("" if none), for the `slift` command's last word
// should the HDF5 library crash on a corrupt file (its global heap is read unchecked).
const char* dataset_being_read();

// Where `data` (n trajectories x n_time frames x per_frame values, as read() returns them) holds
// its first non-finite value, e.g. "nan at frame 2 of trajectory 1", or "" when all are finite.
std::string first_non_finite(const std::vector<float>& data, uint64_t n_time, uint64_t per_frame);

}  // namespace slift
