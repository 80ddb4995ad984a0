// Tiny "states" and "fields" datasets and options for the learner tests.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "learner/options.hpp"

namespace slift::test {

// Writes states (n_traj x n_time x dim) as a complete "states" dataset with times 0, 0.1, ...
void write_states(const std::string& path, int64_t n_traj, int64_t n_time, int64_t dim, const std::vector<float>& states);

// Writes fields (n_traj x n_time x nx x ny) as a complete "fields" dataset: the learned array
// t0_fields/u plus a static t0_fields/c (which the learner must ignore), periodic or walls.
void write_fields(const std::string& path, int64_t n_traj, int64_t n_time, int64_t nx, int64_t ny,
                  const std::vector<float>& u, bool periodic);
// The same with the static field c given (n_traj x nx x ny): a per-trajectory medium to condition on.
void write_fields(const std::string& path, int64_t n_traj, int64_t n_time, int64_t nx, int64_t ny,
                  const std::vector<float>& u, bool periodic, const std::vector<float>& c);
// The same on a grid of 1 to 3 axes (x, y, z), each periodic or a wall: fields n_traj x n_time x
// grid; c (n_traj x grid) all ones when empty.
void write_fields(const std::string& path, int64_t n_traj, int64_t n_time, const std::vector<int64_t>& grid,
                  const std::vector<float>& u, const std::vector<bool>& periodic, const std::vector<float>& c = {});

// n_traj trajectories of n_time frames on an n x n grid: a bump drifting along x at a random speed,
// plus noise.
std::vector<float> drifting_bumps(int64_t n_traj, int64_t n_time, uint64_t seed, int64_t n = 8);

// Writes 8 random walks of 10 states in 2-D (steps of 0.1 N(0, I)) as a "states" dataset.
void write_random_walks(const std::string& path);

// Small, fast training options: one model, tiny MLP, frequent logs silenced by the caller's level.
learner::TrainOptions tiny_options(int64_t iterations, int64_t batch_size, int64_t label_dim);
// The same with a tiny UNet (widths 8, 16; embedding 16; window 2) for fields.
learner::TrainOptions tiny_unet_options(int64_t iterations, int64_t batch_size, int64_t label_dim);

// Sets an environment variable (the learner reads SLIFT_CUDA_GRAPH, say) while it lives; unsets
// it afterwards.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  const char* name;
};

}  // namespace slift::test
