// Tiny "states" datasets and options for the learner tests.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "learner/options.hpp"

namespace slift::test {

// Writes states (n_traj x n_time x dim) as a complete "states" dataset with times 0, 0.1, ...
void write_states(const std::string& path, int64_t n_traj, int64_t n_time, int64_t dim, const std::vector<float>& states);

// Small, fast training options: one model, tiny MLP, frequent logs silenced by the caller's level.
learner::TrainOptions tiny_options(int64_t iterations, int64_t batch_size, int64_t label_dim);

}  // namespace slift::test
