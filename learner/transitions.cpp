#include "learner/transitions.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace slift::learner {

static Trajectories read_fields(const DatasetReader& reader, const std::string& path, const std::string& state_field) {
  Trajectories d;
  d.kind = "fields";
  d.array = reader.state_field(state_field);
  const auto spec = reader.spec(d.array);  // (n_time, n_1, ..., n_d): the trajectory axis is not part of it
  if (spec.shape.size() < 2 || spec.shape.size() > 4)
    usage_error(path + ": " + d.array + " must be (n_traj, n_time, n_1, ..., n_d) with 1 to 3 spatial axes");
  d.n_traj = static_cast<int64_t>(reader.n_traj());
  d.n_time = static_cast<int64_t>(spec.shape[0]);
  d.grid.assign(spec.shape.begin() + 1, spec.shape.end());
  d.dim = std::accumulate(d.grid.begin(), d.grid.end(), int64_t(1), std::multiplies<>());
  if (d.n_traj < 1 || d.n_time < 2 || d.dim < 1) usage_error(path + ": needs at least one trajectory of two frames");
  const DatasetHeader& h = reader.header();
  if (h.axes.size() != d.grid.size())
    usage_error(path + ": " + d.array + " has " + std::to_string(d.grid.size()) + " spatial axes but the file's header lists " +
                std::to_string(h.axes.size()));
  try {
    for (const auto& type : axis_boundaries(h)) d.periodic.push_back(type == "PERIODIC");  // walls and open: zeros
  } catch (const Error& e) {
    usage_error(path + ": " + e.what());
  }
  d.states = reader.read(d.array);
  return d;
}

static Trajectories read_states(const DatasetReader& reader, const std::string& path) {
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

Trajectories read_trajectories(const std::string& path, const std::string& state_field) {
  return read_trajectories(DatasetReader(path), path, state_field);
}

Trajectories read_trajectories(const DatasetReader& reader, const std::string& path, const std::string& state_field) {
  Trajectories d = reader.header().kind == "fields" ? read_fields(reader, path, state_field) : read_states(reader, path);
  // A NaN or inf would otherwise surface as a loss that is not finite, blamed on the learning rate.
  const std::string bad = first_non_finite(d.states, d.n_time, d.dim);
  if (!bad.empty()) usage_error(path + ": " + bad + "; training and sampling need finite data");
  return d;
}

TransitionRows transition_rows(const Trajectories& data, int64_t window, double shuffle_fraction, uint64_t seed,
                               bool final) {
  // Rolled out: n_time - 1 steps from x_t to x_{t+1}; direct: one step from x_0 to the last state.
  const int64_t steps = final ? 1 : data.n_time - 1;
  auto target_time = [&](int64_t t) { return final ? data.n_time - 1 : t + 1; };
  TransitionRows rows;
  rows.n = data.n_traj * steps;
  rows.window = window;
  rows.inputs.resize(rows.n * window);
  rows.targets.resize(rows.n);
  auto row = [&](int64_t i, int64_t t) { return i * data.n_time + t; };

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
      for (int64_t s = 0; s < window; ++s) rows.inputs[k * window + s] = row(i, std::max<int64_t>(0, t - window + 1 + s));
      rows.targets[k] = row(source[i], target_time(t));
    }
  }
  return rows;
}

std::vector<float> transition_labels(int64_t n, int64_t label_dim, uint64_t seed) {
  std::vector<float> labels(n * label_dim);
  for (int64_t k = 0; k < n; ++k) {
    Rng rng(seed, static_cast<uint64_t>(k), "learner.labels");
    for (int64_t j = 0; j < label_dim; ++j) labels[k * label_dim + j] = static_cast<float>(rng.normal());
  }
  return labels;
}

Transitions make_transitions(const Trajectories& data, int64_t window, int64_t label_dim, double shuffle_fraction,
                             uint64_t seed) {
  const auto rows = transition_rows(data, window, shuffle_fraction, seed);
  const int64_t dim = data.dim;
  Transitions tr;
  tr.n = rows.n;
  tr.dim = dim;
  tr.window = window;
  tr.label_dim = label_dim;
  tr.inputs.resize(tr.n * window * dim);
  tr.targets.resize(tr.n * dim);
  auto state = [&](int64_t r) { return &data.states[r * dim]; };
  for (int64_t k = 0; k < tr.n; ++k) {
    for (int64_t s = 0; s < window; ++s) {
      const int64_t r = rows.inputs[k * window + s];
      std::copy(state(r), state(r) + dim, &tr.inputs[(k * window + s) * dim]);
    }
    std::copy(state(rows.targets[k]), state(rows.targets[k]) + dim, &tr.targets[k * dim]);
  }
  tr.labels = transition_labels(tr.n, label_dim, seed);
  return tr;
}

Normalisation fit_pooled_normalisation(const Trajectories& data, const TransitionRows& rows, bool extrapolate) {
  const int64_t dim = data.dim;
  double s1 = 0, s2 = 0, d1 = 0, d2 = 0;
  for (int64_t k = 0; k < rows.n; ++k) {
    const float* current = &data.states[rows.inputs[(k + 1) * rows.window - 1] * dim];  // newest frame
    const float* next = &data.states[rows.targets[k] * dim];
    const float* previous = extrapolate ? &data.states[rows.inputs[(k + 1) * rows.window - 2] * dim] : current;
    for (int64_t c = 0; c < dim; ++c) {
      const double x = current[c], dx = next[c] - (extrapolate ? 2.0 * x - previous[c] : x);
      s1 += x;
      s2 += x * x;
      d1 += dx;
      d2 += dx * dx;
    }
  }
  const double count = static_cast<double>(rows.n) * static_cast<double>(dim);
  const double mean = s1 / count, var = s2 / count - mean * mean, dmean = d1 / count, dvar = d2 / count - dmean * dmean;
  Normalisation nm;
  nm.in_mean.assign(dim, static_cast<float>(mean));
  nm.in_std.assign(dim, var > 1e-12 ? static_cast<float>(std::sqrt(var)) : 1.0f);
  nm.out_scale.assign(dim, dvar > 1e-12 ? static_cast<float>(std::sqrt(dvar)) : 1.0f);
  return nm;
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
