// Writing a slift data set: blocks of trajectories into "<path>.partial", renamed into place when
// complete (core/dataset/resume.hpp: the .partial and its resume).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dataset/layout.hpp"

namespace slift {

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

// Adds static fields, each one frame the same in every trajectory, to a complete field data set in
// place (arrays and attributes as the writer makes them, listed in their group's field_names). For
// copies of a data set (slift export-well): it changes the file.
void add_static_fields(const std::string& path, const std::vector<ArraySpec>& specs,
                       const std::vector<std::vector<float>>& frames);

}  // namespace slift
