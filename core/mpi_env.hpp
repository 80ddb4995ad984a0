// MPI, started only by the commands that need it (so `slift --help` stays instant).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slift::mpi {

// Initialises MPI on first use (with thread support for OpenMP inside ranks) and finalises it
// at exit, but only under a launcher: a process nobody launched is one rank and never pays for
// MPI's singleton start-up (about 0.4 s). Every function below works either way.
void ensure_initialized();
// True when mpirun/mpiexec (any rank count) or srun (several tasks) started this process,
// read from the environment the launcher sets.
bool launched_by_mpi();
int rank();
int size();
void barrier();
// Rank 0's value, on every rank.
uint64_t broadcast(uint64_t value);
// Rank 0 receives every rank's floats, in rank order; other ranks get an empty vector.
std::vector<float> gather_to_root(const std::vector<float>& local);
// Every rank receives every rank's floats (the same count on each), in rank order.
std::vector<float> allgather(const std::vector<float>& local);
// Rank 0's floats, on every rank (the same count on each).
void broadcast(std::vector<float>& values);
// Rank 0's text, on every rank.
std::string broadcast(const std::string& text);
// This rank's index among the ranks on its node (which GPU it takes).
int local_rank();
// Abort all ranks after an error on one of them (exit code propagates through mpirun).
[[noreturn]] void abort(int exit_code);

// The contiguous share [begin, end) of n items that rank r of p owns.
struct Range {
  uint64_t begin, end;
};
Range share(uint64_t n, int r, int p);

}  // namespace slift::mpi
