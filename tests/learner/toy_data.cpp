#include "toy_data.hpp"

#include "core/dataset.hpp"

namespace slift::test {

void write_states(const std::string& path, int64_t n_traj, int64_t n_time, int64_t dim, const std::vector<float>& states) {
  DatasetHeader h;
  h.kind = "states";
  h.dataset_name = "toy";
  for (int64_t t = 0; t < n_time; ++t) h.time.push_back(0.1 * static_cast<double>(t));
  for (int64_t c = 0; c < dim; ++c) h.state_names.push_back("s" + std::to_string(c));
  h.params_hash = "toy";
  ArraySpec spec;
  spec.path = "states";
  spec.shape = {static_cast<uint64_t>(n_time), static_cast<uint64_t>(dim)};
  DatasetWriter w(path, h, {spec}, static_cast<uint64_t>(n_traj));
  w.write(0, 0, static_cast<uint64_t>(n_traj), states.data());
  w.commit(static_cast<uint64_t>(n_traj));
  w.finish();
}

learner::TrainOptions tiny_options(int64_t iterations, int64_t batch_size, int64_t label_dim) {
  learner::TrainOptions o;
  o.width = 64;
  o.depth = 2;
  o.label_dim = label_dim;
  o.iterations = iterations;
  o.batch_size = batch_size;
  o.warmup = 10;
  o.lr = 3e-3;
  o.weight_decay = 0;
  o.log_every = iterations;
  o.checkpoint_every = iterations;
  o.device = "cpu";
  return o;
}

}  // namespace slift::test
