// Training throughput of the learner's MLP through the real training path (train_model on a
// synthetic Duffing-sized dataset); train_throughput.py trains the same network in python3-torch.
//   train_throughput WIDTH DEPTH LABEL_DIM BATCH STEPS   (threads: OMP_NUM_THREADS)
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/learner.hpp"

using namespace slift;

int main(int argc, char** argv) try {
  if (argc != 6) usage_error("usage: train_throughput WIDTH DEPTH LABEL_DIM BATCH STEPS");
  learner::TrainOptions o;
  o.width = std::atoll(argv[1]);
  o.depth = std::atoll(argv[2]);
  o.label_dim = std::atoll(argv[3]);
  o.batch_size = std::atoll(argv[4]);
  o.iterations = std::atoll(argv[5]);
  o.warmup = 0;
  o.log_every = o.checkpoint_every = o.iterations;
  o.device = "cpu";

  // 200 random walks of 64 states in 2-D: the size of the Duffing training set.
  const auto dir = std::filesystem::temp_directory_path() / "slift-bench-throughput";
  std::filesystem::create_directories(dir);
  const std::string data = (dir / "train.h5").string(), model = (dir / "model.pt").string();
  std::filesystem::remove(data);
  {
    DatasetHeader h;
    h.kind = "states";
    h.dataset_name = "bench";
    for (int t = 0; t < 64; ++t) h.time.push_back(0.1 * t);
    h.state_names = {"x", "v"};
    h.params_hash = "bench";
    ArraySpec spec;
    spec.path = "states";
    spec.shape = {64, 2};
    std::vector<float> states;
    Rng rng(1, 0, "bench.walks");
    for (int i = 0; i < 200; ++i) {
      float x = 0, v = 0;
      for (int t = 0; t < 64; ++t, x += 0.1f * v, v += 0.3f * static_cast<float>(rng.normal())) states.insert(states.end(), {x, v});
    }
    DatasetWriter w(data, h, {spec}, 200);
    w.write(0, 0, 200, states.data());
    w.commit(200);
    w.finish();
  }
  log::set_level(log::Level::quiet);
  const auto r = learner::train_model("sl", o, data, 1, model, "", "");
  std::filesystem::remove_all(dir);
  std::printf("libtorch  %.0f transitions/s  (%lld steps in %.2f s, %lld parameters)\n", r.samples_per_second,
              static_cast<long long>(r.steps), r.seconds, static_cast<long long>(r.parameters));
  return 0;
} catch (const Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return static_cast<int>(e.code());
}
