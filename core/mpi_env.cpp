#include "core/mpi_env.hpp"

#include <mpi.h>

#include <cstdlib>

#include "core/error.hpp"
#include "core/log.hpp"

namespace slift::mpi {

static void finalize_at_exit() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin) MPI_Finalize();
}

void ensure_initialized() {
  int init = 0;
  MPI_Initialized(&init);
  if (init || !launched_by_mpi()) return;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  std::atexit(finalize_at_exit);
  log::set_rank(rank());
}

bool launched_by_mpi() {
  auto set = [](const char* var) {
    const char* v = std::getenv(var);
    return v && *v;
  };
  // OpenMPI's mpirun; MPICH/Hydra and srun --mpi=pmi2; PMIx launchers (srun --mpi=pmix, prterun).
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "PMIX_RANK"})
    if (set(var)) return true;
  // A bare srun step of several tasks (a batch script alone is no launcher: it has no step tasks).
  const char* step_tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  return set("SLURM_STEP_ID") && step_tasks && std::atoi(step_tasks) > 1;
}

int rank() {
  int init = 0, r = 0;
  MPI_Initialized(&init);
  if (init) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  int init = 0, s = 1;
  MPI_Initialized(&init);
  if (init) MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

void barrier() {
  if (size() > 1) MPI_Barrier(MPI_COMM_WORLD);
}

uint64_t broadcast(uint64_t value) {
  if (size() > 1) MPI_Bcast(&value, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  return value;
}

std::vector<float> gather_to_root(const std::vector<float>& local) {
  int p = size();
  if (p == 1) return local;
  int n = static_cast<int>(local.size());
  SLIFT_ASSERT(local.size() < (1u << 31), "gather block too large; use smaller blocks");
  std::vector<int> counts(p), displs(p);
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<float> out;
  if (rank() == 0) {
    long total = 0;
    for (int i = 0; i < p; ++i) displs[i] = static_cast<int>(total), total += counts[i];
    out.resize(total);
  }
  MPI_Gatherv(local.data(), n, MPI_FLOAT, out.data(), counts.data(), displs.data(), MPI_FLOAT, 0, MPI_COMM_WORLD);
  return out;
}

std::vector<float> allgather(const std::vector<float>& local) {
  if (size() == 1) return local;
  SLIFT_ASSERT(local.size() < (1u << 31), "allgather block too large");
  std::vector<float> out(local.size() * static_cast<size_t>(size()));
  MPI_Allgather(local.data(), static_cast<int>(local.size()), MPI_FLOAT, out.data(), static_cast<int>(local.size()),
                MPI_FLOAT, MPI_COMM_WORLD);
  return out;
}

void broadcast(std::vector<float>& values) {
  if (size() == 1) return;
  SLIFT_ASSERT(values.size() < (1u << 31), "broadcast block too large");
  MPI_Bcast(values.data(), static_cast<int>(values.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
}

std::string broadcast(const std::string& text) {
  if (size() == 1) return text;
  std::string out = text;
  out.resize(broadcast(uint64_t{text.size()}));
  SLIFT_ASSERT(out.size() < (1u << 31), "broadcast text too large");
  MPI_Bcast(out.data(), static_cast<int>(out.size()), MPI_CHAR, 0, MPI_COMM_WORLD);
  return out;
}

int local_rank() {
  if (size() == 1) return 0;
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank(), MPI_INFO_NULL, &node);
  int r = 0;
  MPI_Comm_rank(node, &r);
  MPI_Comm_free(&node);
  return r;
}

void abort(int exit_code) {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin && size() > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);
}

Range share(uint64_t n, int r, int p) {
  uint64_t base = n / p, extra = n % p;
  uint64_t begin = r * base + std::min<uint64_t>(r, extra);
  return {begin, begin + base + (static_cast<uint64_t>(r) < extra ? 1 : 0)};
}

}  // namespace slift::mpi
