// Tuning check for the Duffing defaults: trains the models of a config's `train` section on a
// simulated training set, rolls them out from the test set and prints the mean over time of the
// 1-D W2 of every state component against the test set, beside the data floor (training set
// against test set). The pipeline's evaluate stage is the real measurement; this is the quick one.
//   duffing_check configs/duffing.yaml <data dir with train.h5, test.h5> <work dir> [key=value ...]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/config.hpp"
#include "core/error.hpp"
#include "learner/learner.hpp"
#include "learner/model_info.hpp"
#include "learner/transitions.hpp"

using namespace slift;

// W2 between two 1-D samples of any sizes: the quantile functions compared on their merged grid.
static double w2(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double u = 0, sum = 0;
  while (i < a.size() && j < b.size()) {
    const double next = std::min((i + 1) / na, (j + 1) / nb);
    sum += (next - u) * (a[i] - b[j]) * (a[i] - b[j]);
    u = next;
    if ((i + 1) / na <= next + 1e-15) ++i;
    if ((j + 1) / nb <= next + 1e-15) ++j;
  }
  return std::sqrt(sum);
}

// Mean over times t >= 1 and components of the W2 between the time marginals.
static double mean_w2(const learner::Trajectories& p, const learner::Trajectories& q, std::vector<double>* per_component) {
  double total = 0;
  per_component->assign(p.dim, 0.0);
  for (int64_t c = 0; c < p.dim; ++c) {
    for (int64_t t = 1; t < p.n_time; ++t) {
      std::vector<double> a, b;
      for (int64_t i = 0; i < p.n_traj; ++i) a.push_back(p.states[(i * p.n_time + t) * p.dim + c]);
      for (int64_t i = 0; i < q.n_traj; ++i) b.push_back(q.states[(i * q.n_time + t) * q.dim + c]);
      (*per_component)[c] += w2(a, b) / static_cast<double>(p.n_time - 1);
    }
    total += (*per_component)[c] / static_cast<double>(p.dim);
  }
  return total;
}

int main(int argc, char** argv) try {
  if (argc < 4) usage_error("usage: duffing_check CONFIG DATA_DIR WORK_DIR [train.key=value ...]");
  const std::string data = argv[2], work = argv[3];
  std::filesystem::create_directories(work);
  auto config = config::Config::load(argv[1], std::vector<std::string>(argv + 4, argv + argc));
  auto root = config.root();
  const auto seed = static_cast<uint64_t>(root.get<int64_t>("seed", 1));
  auto train_section = root.section("train");
  const auto train = learner::parse_train(train_section);
  auto sample_section = root.section("sample");
  const auto sample = learner::parse_sample(sample_section);

  const auto test = learner::read_trajectories(data + "/test.h5");
  std::vector<double> comp;
  const double floor = mean_w2(learner::read_trajectories(data + "/train.h5"), test, &comp);
  std::printf("%-14s %10s %10s %10s %8s %10s %s\n", "model", "w2_mean", "ratio", "loss", "train_s", "sample_s", "w2 per component");
  std::printf("%-14s %10.4f %10s %10s %8s %10s", "data_floor", floor, "1", "", "", "");
  for (double c : comp) std::printf(" %.4f", c);
  std::printf("\n");
  for (const auto& model : train.models) {
    const std::string model_path = work + "/" + model + ".pt", out = work + "/" + model + ".h5";
    std::filesystem::remove(out);
    const auto tr = learner::train_model(model, train, data + "/train.h5", seed, model_path, work + "/" + model + ".ckpt", "");
    const auto sr = learner::sample_model(model_path, sample, data + "/test.h5", seed + 1, out);
    const double w = mean_w2(learner::read_trajectories(out), test, &comp);
    std::printf("%-14s %10.4f %10.3f %10.3e %8.1f %10.2f", model.c_str(), w, w / floor, tr.final_loss, tr.seconds, sr.seconds);
    for (double c : comp) std::printf(" %.4f", c);
    std::printf("\n");
    std::fflush(stdout);
  }
  return 0;
} catch (const Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return static_cast<int>(e.code());
}
