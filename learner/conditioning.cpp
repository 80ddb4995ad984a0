#include "learner/conditioning.hpp"

#include <algorithm>
#include <cmath>

#include "core/dataset.hpp"
#include "core/error.hpp"

namespace slift::learner {

std::string static_field_array(const DatasetReader& reader, const std::string& path, const std::string& name,
                               const std::string& state_array) {
  const auto arrays = reader.array_paths();
  const auto has = [&](const std::string& a) { return std::find(arrays.begin(), arrays.end(), a) != arrays.end(); };
  const std::string array = "t0_fields/" + name;
  if (!has(array)) {
    for (const char* group : {"t1_fields/", "t2_fields/"})
      if (has(group + name))
        usage_error(path + ": '" + group + name + "' is a vector or tensor field; conditioning takes scalar (t0) static fields");
    usage_error(path + ": no field '" + name + "' in t0_fields to condition on");
  }
  const ArraySpec spec = reader.spec(array), state = reader.spec(state_array);
  if (spec.time_varying)
    usage_error(path + ": '" + array + "' varies in time; conditioning takes static fields (time_varying false)");
  // The state is (n_time, grid), a static field (grid): the same grid once the time axis is off.
  if (state.shape.empty() || spec.shape != std::vector<uint64_t>(state.shape.begin() + 1, state.shape.end()))
    usage_error(path + ": '" + array + "' is not on the grid of " + state_array + " (a static field of the same axes and sizes)");
  return array;
}

std::vector<float> read_static_fields(const DatasetReader& reader, const std::string& path,
                                      const std::vector<std::string>& names, const std::string& state_array) {
  const auto n_traj = static_cast<size_t>(reader.n_traj());
  std::vector<std::vector<float>> fields;
  for (const auto& name : names) {
    const std::string array = static_field_array(reader, path, name, state_array);
    fields.push_back(reader.read(array));
    const std::string bad = first_non_finite(fields.back(), 1, fields.back().size() / std::max<size_t>(1, n_traj));
    if (!bad.empty()) usage_error(path + ": " + array + ": " + bad + "; conditioning needs finite data");
  }
  // Interleaved per trajectory: trajectory i's fields side by side, as the network's channels.
  std::vector<float> values;
  const size_t dim = fields.empty() ? 0 : fields[0].size() / std::max<size_t>(1, n_traj);
  values.reserve(n_traj * names.size() * dim);
  for (size_t i = 0; i < n_traj; ++i)
    for (const auto& f : fields) values.insert(values.end(), f.begin() + i * dim, f.begin() + (i + 1) * dim);
  return values;
}

StaticNormalisation fit_static_normalisation(const std::vector<float>& values, int64_t n_fields, int64_t dim) {
  StaticNormalisation nm;
  const auto stride = static_cast<size_t>(n_fields * dim);
  for (int64_t f = 0; f < n_fields; ++f) {
    double s1 = 0, s2 = 0, count = 0;
    for (size_t start = static_cast<size_t>(f * dim); start < values.size(); start += stride)
      for (size_t c = start; c < start + static_cast<size_t>(dim); ++c) s1 += values[c], s2 += values[c] * double(values[c]), ++count;
    const double mean = s1 / count, var = s2 / count - mean * mean;
    nm.mean.push_back(static_cast<float>(mean));
    nm.std.push_back(var > 1e-12 ? static_cast<float>(std::sqrt(var)) : 1.0f);
  }
  return nm;
}

std::string conditioning_identity(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += (text.empty() ? "|condition_on=" : ",") + n;
  return text;
}

}  // namespace slift::learner
