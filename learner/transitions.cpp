#include "learner/transitions.hpp"

#include <cmath>
#include <numeric>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace slift::learner {

Trajectories read_trajectories(const std::string& path) {
  DatasetReader reader(path, "states");
  const auto spec = reader.spec("states");
  if (spec.shape.size() != 2) usage_error(path + ": 'states' must be (n_traj, n_time, dim)");
  Trajectories d;
  d.n_traj = static_cast<int64_t>(reader.n_traj());
  d.n_time = static_cast<int64_t>(spec.shape[0]);
  d.dim = static_cast<int64_t>(spec.shape[1]);
  if (d.n_traj < 1 || d.n_time < 2 || d.dim < 1) usage_error(path + ": needs at least one trajectory of two states");
  d.states = reader.read("states");
  return d;
}

Transitions make_transitions(const Trajectories& data, int64_t window, int64_t label_dim, double shuffle_fraction,
                             uint64_t seed) {
  const int64_t steps = data.n_time - 1, dim = data.dim;
  Transitions tr;
  tr.n = data.n_traj * steps;
  tr.dim = dim;
  tr.window = window;
  tr.label_dim = label_dim;
  tr.inputs.resize(tr.n * window * dim);
  tr.targets.resize(tr.n * dim);
  auto state = [&](int64_t i, int64_t t) { return &data.states[(i * data.n_time + t) * dim]; };

  // Which trajectories get their next states permuted, then one permutation per time step.
  std::vector<int64_t> order(data.n_traj);
  std::iota(order.begin(), order.end(), 0);
  Rng pick(seed, 0, "learner.shuffle");
  for (int64_t i = data.n_traj - 1; i > 0; --i) std::swap(order[i], order[pick.below(i + 1)]);
  const auto n_shuffled = static_cast<int64_t>(std::llround(shuffle_fraction * static_cast<double>(data.n_traj)));
  const std::vector<int64_t> shuffled(order.begin(), order.begin() + n_shuffled);
  std::vector<int64_t> source(data.n_traj);  // trajectory whose next state transition (i, t) learns

  for (int64_t t = 0; t < steps; ++t) {
    std::iota(source.begin(), source.end(), 0);
    Rng perm(seed, 1 + static_cast<uint64_t>(t), "learner.shuffle");
    std::vector<int64_t> p = shuffled;
    for (int64_t j = n_shuffled - 1; j > 0; --j) std::swap(p[j], p[perm.below(j + 1)]);
    for (int64_t j = 0; j < n_shuffled; ++j) source[shuffled[j]] = p[j];
    for (int64_t i = 0; i < data.n_traj; ++i) {
      const int64_t k = i * steps + t;
      for (int64_t s = 0; s < window; ++s) {
        const int64_t ts = std::max<int64_t>(0, t - window + 1 + s);
        std::copy(state(i, ts), state(i, ts) + dim, &tr.inputs[(k * window + s) * dim]);
      }
      std::copy(state(source[i], t + 1), state(source[i], t + 1) + dim, &tr.targets[k * dim]);
    }
  }

  tr.labels.resize(tr.n * label_dim);
  for (int64_t k = 0; k < tr.n; ++k) {
    Rng rng(seed, static_cast<uint64_t>(k), "learner.labels");
    for (int64_t j = 0; j < label_dim; ++j) tr.labels[k * label_dim + j] = static_cast<float>(rng.normal());
  }
  return tr;
}

Normalisation fit_normalisation(const Transitions& tr) {
  const int64_t dim = tr.dim;
  std::vector<double> s1(dim), s2(dim), d1(dim), d2(dim);
  for (int64_t k = 0; k < tr.n; ++k) {
    const float* current = &tr.inputs[((k + 1) * tr.window - 1) * dim];  // newest state of the window
    for (int64_t c = 0; c < dim; ++c) {
      const double x = current[c], dx = tr.targets[k * dim + c] - x;
      s1[c] += x;
      s2[c] += x * x;
      d1[c] += dx;
      d2[c] += dx * dx;
    }
  }
  auto std_or_one = [&](double sum, double sum_sq) {
    const double mean = sum / tr.n, var = sum_sq / tr.n - mean * mean;
    return var > 1e-12 ? static_cast<float>(std::sqrt(var)) : 1.0f;
  };
  Normalisation nm;
  for (int64_t c = 0; c < dim; ++c) {
    nm.in_mean.push_back(static_cast<float>(s1[c] / tr.n));
    nm.in_std.push_back(std_or_one(s1[c], s2[c]));
    nm.out_scale.push_back(std_or_one(d1[c], d2[c]));
  }
  return nm;
}

}  // namespace slift::learner
