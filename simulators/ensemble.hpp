// Runs a System over an ensemble of trajectories and writes one dataset.
//
// Trajectories go in blocks: in each block every MPI rank computes its contiguous share on its
// OpenMP threads, rank 0 gathers the block, writes it and commits it. A killed run leaves
// "<path>.partial" with whole blocks; the rerun resumes after the last committed block. Rank 0
// is the only writer (serial HDF5): the data of one block is small next to the compute. A system
// with measured FFT plans plans from wisdom shared by every rank (simulators/fft_wisdom.hpp).
#pragma once
#include <cstdint>
#include <string>

#include "simulators/system.hpp"

namespace slift::sim {

struct EnsembleOptions {
  uint64_t n_traj = 0;
  uint64_t seed = 0;            // the data set's own seed (train and test differ)
  uint64_t block = 64;          // trajectories per committed block
  bool compress = false;
  std::string config_yaml;      // provenance
  std::string params_hash;      // identity of the content, for resume
  std::string label = "simulate";
};

struct EnsembleStats {
  double seconds = 0;
  uint64_t computed = 0;  // trajectories computed by this run (not resumed)
};

EnsembleStats run_ensemble(const System& system, const EnsembleOptions& options, const std::string& path);

}  // namespace slift::sim
