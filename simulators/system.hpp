// What a physical system provides to the ensemble runner.
//
// A system is built once from the `simulate` config section; it describes its dataset layout
// and makes one Worker per thread (workers own scratch memory and FFT plans). A worker fills
// one trajectory from (seed, trajectory index) alone, which is what makes the output identical
// for any number of ranks and threads. Adding a system = one folder with a file that calls
// SLIFT_REGISTER_SYSTEM; nothing else changes.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/dataset.hpp"

namespace slift::sim {

class Worker {
 public:
  virtual ~Worker() = default;
  // Fill trajectory `traj` of the data set with seed `seed`: out[i] points to
  // prod(arrays()[i].shape) floats.
  virtual void run(uint64_t seed, uint64_t traj, const std::vector<float*>& out) = 0;
};

// The physical range of an array's values and the config keys to suspect when a trajectory
// leaves it. The runner checks every computed trajectory against it (non-finite values always
// fail), so no impossible data are written as complete.
struct ValueRange {
  double lo = -INFINITY, hi = INFINITY;
  std::string suspects;  // e.g. "simulate.permeability.sigma, simulate.t_end"
};

// What a data set card says about a system (`slift export-well` writes it as README.md, with the
// grid, splits and parameter values read from the data): Markdown, $...$ for mathematics.
struct Card {
  std::string title;  // one line
  std::string equations, initial_condition, boundary_conditions, numerics;
  std::vector<std::pair<std::string, std::string>> fields;  // field name -> meaning and unit
  // Every simulation parameter -> its meaning. Physical ones define the problem; numerical ones
  // only how it is solved and stored.
  std::vector<std::pair<std::string, std::string>> physical, numerical;
};

// A static field the data imply but the simulator does not store (the flow's wells), the same in
// every trajectory: one frame in the layout of spec (a static array of the file).
struct ImpliedField {
  ArraySpec spec;
  std::vector<float> values;
};

class System {
 public:
  virtual ~System() = default;
  virtual Card card() const { return {}; }
  // `slift export-well` adds these to its copies, so that The Well's augmentations move them with
  // the medium; the simulator's own files stay as they are.
  virtual std::vector<ImpliedField> implied_fields() const { return {}; }
  virtual ValueRange range(size_t array_index) const {
    (void)array_index;
    return {};
  }
  // Optional, for an array with a time axis: per stored time, a bound on the root sum of squares
  // of the frame's values that a correct run cannot exceed (an energy bound of the scheme); the
  // runner checks it like range(). Empty: none.
  virtual std::vector<double> frame_norm_bound(size_t array_index) const {
    (void)array_index;
    return {};
  }
  // Layout without provenance (the runner adds config, seed and hashes).
  virtual DatasetHeader header() const = 0;
  virtual std::vector<ArraySpec> arrays() const = 0;
  virtual std::unique_ptr<Worker> make_worker() const = 0;
  // Whether the workers' FFT plans are measured from wisdom shared by every rank and thread
  // (simulators/fft_wisdom.hpp) instead of estimated.
  virtual bool measured_fft_plans() const { return false; }
  // Keys of the `simulate` section that are no part of the data's identity at their present
  // values: those that came after data existed, while at their defaults (so that the data of
  // earlier runs stays up to date).
  virtual std::vector<std::string> unhashed_keys() const { return {}; }
  // A rough cost model: seconds one core takes for one trajectory, from the step counts and grid
  // sizes the parameters imply and a constant per unit of work measured on a 2-core x86 machine
  // (2026-11-30); good to a factor of about 2 there. For the dry run's estimate and the run-time
  // budget (simulate.max_core_hours), so that a parameter that explodes the step count (a speed
  // of 1e6, an end time of 1e9) is refused before it runs for days. 0: no model.
  virtual double core_seconds_per_trajectory() const { return 0; }
  // Optional: n independent samples of the next saved state from `state` at time t (the
  // evaluation's conditional check). Systems that cannot restart from a state return {}.
  virtual std::vector<float> next_state_samples(const std::vector<float>& state, double t, int64_t n,
                                                uint64_t seed) const {
    (void)state, (void)t, (void)n, (void)seed;
    return {};
  }
};

// Reads the system's own keys from the `simulate` section (the runner reads the common ones).
using Factory = std::function<std::unique_ptr<System>(config::Section& simulate)>;

struct Registration {
  Registration(const std::string& name, const std::string& summary, Factory factory);
};

// Builds the system named by `simulate.system`.
std::unique_ptr<System> make_system(config::Section& simulate);
std::vector<std::string> system_names();

}  // namespace slift::sim

#define SLIFT_REGISTER_SYSTEM(name, summary, factory) \
  static const ::slift::sim::Registration slift_registration_##name(#name, summary, factory)
