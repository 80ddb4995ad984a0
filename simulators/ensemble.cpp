#include "simulators/ensemble.hpp"

#include <omp.h>

#include <cmath>
#include <exception>
#include <new>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "simulators/fft_wisdom.hpp"
#include "simulators/fftw.hpp"

namespace slift::sim {
namespace {

[[noreturn]] void rethrow_for_trajectory(const std::exception_ptr& failure, uint64_t trajectory) {
  const std::string where = "trajectory " + std::to_string(trajectory) + ": ";
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    throw Error(e.code(), where + e.what());
  } catch (const std::bad_alloc&) {
    runtime_error(where + "out of memory");
  } catch (const std::exception& e) {
    runtime_error(where + e.what());
  }
}

// Numbers are checked where they are made: every value of a computed trajectory of array `a`
// is finite and within the system's range for it, and each frame within its norm bound if any.
void check_values(const System& system, const ArraySpec& spec, size_t a, const std::vector<double>& time,
                  const float* v, uint64_t n) {
  const ValueRange r = system.range(a);
  for (uint64_t i = 0; i < n; ++i) {
    if (std::isfinite(v[i]) && v[i] >= r.lo && v[i] <= r.hi) continue;
    std::ostringstream what;
    what << spec.path;
    if (spec.time_varying) what << " at time " << time[i / (n / time.size())];
    what << " is " << v[i];
    if (std::isfinite(r.lo) || std::isfinite(r.hi)) what << ", outside [" << r.lo << ", " << r.hi << "]";
    if (!r.suspects.empty()) what << "; check " << r.suspects;
    runtime_error(what.str());
  }
  const std::vector<double> bound = system.frame_norm_bound(a);
  if (!spec.time_varying || bound.empty()) return;
  const uint64_t frame = n / time.size();
  for (size_t f = 0; f < time.size(); ++f) {
    double sum = 0;
    for (uint64_t i = f * frame; i < (f + 1) * frame; ++i) sum += double(v[i]) * v[i];
    if (std::sqrt(sum) <= bound[f]) continue;
    std::ostringstream what;
    what << spec.path << " at time " << time[f] << " has a root sum of squares of " << std::sqrt(sum)
         << ", above the bound of the scheme's energy " << bound[f];
    if (!r.suspects.empty()) what << "; check " << r.suspects;
    runtime_error(what.str());
  }
}

// One worker per thread, made serially (FFT planning is not thread-safe). Measured plans (rank 0
// holds the wisdom file and the writer): rank 0 plans from the file, measuring what it lacks, and
// stores and records the wisdom, or, resuming, plans from the wisdom its blocks were made with;
// the other ranks plan from rank 0's wisdom alone.
std::vector<std::unique_ptr<Worker>> make_workers(const System& system, WisdomFile* file, DatasetWriter* writer,
                                                  bool resumed) {
  std::vector<std::unique_ptr<Worker>> workers;
  auto make = [&] {
    for (int t = 0; t < omp_get_max_threads(); ++t) workers.push_back(system.make_worker());
  };
  if (!system.measured_fft_plans()) {
    make();
    return workers;
  }
  std::string wisdom;
  if (mpi::rank() == 0) {
    wisdom = resumed ? writer->attribute(kWisdomAttribute) : file->text();
    MeasuredPlans plans(wisdom, /*wisdom_only=*/resumed);
    make();
    if (!resumed) {
      wisdom = file->store(plans.wisdom());
      writer->set_attribute(kWisdomAttribute, wisdom);
    }
  }
  wisdom = mpi::broadcast(wisdom);
  if (mpi::rank() != 0) {
    MeasuredPlans plans(wisdom, /*wisdom_only=*/true);
    make();
  }
  return workers;
}

}  // namespace

EnsembleStats run_ensemble(const System& system, const EnsembleOptions& opt, const std::string& path) {
  log::Stopwatch clock;
  const int rank = mpi::rank(), size = mpi::size();
  const std::vector<ArraySpec> arrays = system.arrays();
  const std::vector<double> time = system.header().time;
  std::vector<uint64_t> per_traj;
  for (const auto& a : arrays)
    per_traj.push_back(std::accumulate(a.shape.begin(), a.shape.end(), uint64_t{1}, std::multiplies<>()));

  // A complete file of the same content (a rerun after a later split was interrupted) is kept.
  if (mpi::broadcast(rank == 0 && is_complete_dataset(path, opt.params_hash, opt.n_traj) ? 1 : 0)) {
    log::info("keeping " + path + ": complete, same parameters");
    return {clock.seconds(), 0};
  }
  // Measured plans: the wisdom file is locked (and one FFTW cannot read refused) before anything is written.
  std::unique_ptr<WisdomFile> wisdom_file;
  if (system.measured_fft_plans() && rank == 0) wisdom_file = std::make_unique<WisdomFile>(wisdom_path(path));
  std::unique_ptr<DatasetWriter> writer;
  uint64_t start = 0;
  if (rank == 0) {
    DatasetHeader h = system.header();
    h.config_yaml = opt.config_yaml;
    h.seed = opt.seed;
    h.params_hash = opt.params_hash;
    writer = std::make_unique<DatasetWriter>(path, h, arrays, opt.n_traj, opt.compress);
    start = writer->n_done();
    if (start > 0) log::info("resuming " + path + " after " + std::to_string(start) + " trajectories");
  }
  start = mpi::broadcast(start);

  const std::vector<std::unique_ptr<Worker>> workers = make_workers(system, wisdom_file.get(), writer.get(), start > 0);
  wisdom_file.reset();

  log::Progress progress(opt.label, opt.n_traj - start, "traj");
  for (uint64_t b0 = start; b0 < opt.n_traj; b0 += opt.block) {
    const uint64_t b1 = std::min(opt.n_traj, b0 + opt.block);
    const mpi::Range mine = mpi::share(b1 - b0, rank, size);
    const uint64_t n_mine = mine.end - mine.begin;
    std::vector<std::vector<float>> local(arrays.size());
    for (size_t a = 0; a < arrays.size(); ++a) local[a].assign(n_mine * per_traj[a], 0.0f);

    // An error may not leave the parallel loop (std::terminate): the first failing trajectory's
    // error is carried out and thrown after it, naming the trajectory.
    std::exception_ptr failure;
    uint64_t failed = n_mine;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t k = 0; k < static_cast<int64_t>(n_mine); ++k) {
      try {
        std::vector<float*> out(arrays.size());
        for (size_t a = 0; a < arrays.size(); ++a) out[a] = local[a].data() + k * per_traj[a];
        workers[omp_get_thread_num()]->run(opt.seed, b0 + mine.begin + k, out);
        for (size_t a = 0; a < arrays.size(); ++a) check_values(system, arrays[a], a, time, out[a], per_traj[a]);
      } catch (...) {
#pragma omp critical(slift_ensemble_failure)
        if (static_cast<uint64_t>(k) < failed) failed = k, failure = std::current_exception();
      }
    }
    if (failure) rethrow_for_trajectory(failure, b0 + mine.begin + failed);
    for (size_t a = 0; a < arrays.size(); ++a) {
      std::vector<float> all = mpi::gather_to_root(local[a]);  // rank order = trajectory order
      if (rank == 0) writer->write(a, b0, b1 - b0, all.data());
    }
    if (rank == 0) {
      writer->commit(b1);
      log::detail("committed " + std::to_string(b1) + "/" + std::to_string(opt.n_traj) + " trajectories of " + path);
    }
    progress.advance(b1 - b0);
  }
  if (rank == 0) writer->finish();
  progress.done();
  mpi::barrier();
  return {clock.seconds(), opt.n_traj - start};
}

}  // namespace slift::sim
