#include "learner/static_channels.hpp"

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "learner/conditioning.hpp"

namespace slift::learner {

namespace {

// Raw fields (n_traj x fields x dim) -> normalised channels on the device.
torch::Tensor normalised(const LoadedModel& m, const std::vector<float>& values, int64_t n_traj, const torch::Device& device) {
  const auto fields = static_cast<int64_t>(m.spec.options.condition_on.size());
  const auto raw = to_tensor(values, {n_traj, fields, m.spec.dim});
  const auto mean = to_tensor(m.static_norm.mean, {1, fields, 1}), std = to_tensor(m.static_norm.std, {1, fields, 1});
  return ((raw - mean) / std).reshape({n_traj, fields * m.spec.dim}).to(device);
}

std::vector<float> read_values(const LoadedModel& m, const DatasetReader& reader, const std::string& path, const Trajectories& data) {
  if (data.kind != "fields") usage_error(path + ": static fields condition models of field data (arch unet) only");
  return read_static_fields(reader, path, m.spec.options.condition_on, data.array);
}

}  // namespace

torch::Tensor fit_static_channels(LoadedModel& m, const std::string& path, const Trajectories& data,
                                  const torch::Device& device) {
  const auto& names = m.spec.options.condition_on;
  if (names.empty()) return {};
  const auto values = read_values(m, DatasetReader(path), path, data);
  m.static_norm = fit_static_normalisation(values, static_cast<int64_t>(names.size()), m.spec.dim);
  return normalised(m, values, data.n_traj, device);
}

torch::Tensor static_channels(const LoadedModel& m, const DatasetReader& reader, const std::string& path,
                              const Trajectories& data, const torch::Device& device) {
  if (m.spec.options.condition_on.empty()) return {};
  return normalised(m, read_values(m, reader, path, data), data.n_traj, device);
}

torch::Tensor with_static_channels(const torch::Tensor& x, const torch::Tensor& channels) {
  return channels.defined() ? torch::cat({x, channels.to(x.scalar_type())}, 1) : x;
}

void write_conditioning(torch::serialize::OutputArchive& a, const LoadedModel& m) {
  const auto& names = m.spec.options.condition_on;
  if (names.empty()) return;
  c10::List<std::string> list;
  for (const auto& n : names) list.push_back(n);
  a.write("condition_on", c10::IValue(list));
  a.write("static_mean", to_tensor(m.static_norm.mean, {static_cast<int64_t>(names.size())}));
  a.write("static_std", to_tensor(m.static_norm.std, {static_cast<int64_t>(names.size())}));
}

void read_conditioning(torch::serialize::InputArchive& a, LoadedModel& m) {
  c10::IValue v;
  if (!a.try_read("condition_on", v)) return;
  for (const auto& name : v.toListRef()) m.spec.options.condition_on.push_back(name.toStringRef());
  torch::Tensor t;
  a.read("static_mean", t);
  m.static_norm.mean.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  a.read("static_std", t);
  m.static_norm.std.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

}  // namespace slift::learner
