// Wasserstein-2 distances between empirical distributions (the paper's metrics, appendix D.5).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slift::metrics {

// Every metric needs finite data: a NaN would sort undefinedly and an inf would make the value
// meaningless. Refuses `data` (n trajectories x n_time frames x per_frame values) with a run-time
// error naming the set and the first frame that holds a non-finite value.
void require_finite(const std::vector<float>& data, int64_t n_time, int64_t per_frame, const std::string& set);
// The same for an input data file (a split of the data): a bad input file, exit code 2, as
// training and sampling refuse it. A generated set's non-finite value is the model's failure.
void require_finite_input(const std::vector<float>& data, int64_t n_time, int64_t per_frame, const std::string& file);

// 1-D W2 between two samples: sorted quantile functions compared on the merged grid of
// quantile levels, so unequal sizes are exact (equal sizes reduce to sqrt(mean((a-b)^2))).
// Refuses non-finite values.
double w2_1d(std::vector<double> a, std::vector<double> b);

// Sliced W2 of point clouds a (n x dim) and b (m x dim), row-major: the root mean square over
// `n_projections` random unit directions of the 1-D W2 of the projections. Directions come from
// the project RNG keyed by `seed`, so the value is reproducible.
double sliced_w2(const std::vector<double>& a, const std::vector<double>& b, int dim, int n_projections, uint64_t seed);

}  // namespace slift::metrics
