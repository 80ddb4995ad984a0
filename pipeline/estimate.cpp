#include "pipeline/estimate.hpp"

#include <algorithm>
#include <cstdio>

#include "core/dataset.hpp"
#include "core/machine.hpp"

namespace slift::pipeline {
namespace {

// Measured with `slift train ... --threads 1` on a loaded 2-core machine, 2026-11-30 (ms/step of
// its log): configs/duffing.yaml (MLP 3 x 256, batch 512) 18 ms, the same MLP 300 x 8 140 ms,
// configs/wave.yaml (UNet 16, 32, 64 on 32^2, batch 32) 440 ms (150-200 ms on an idle machine).
constexpr double kMlpSecondsPerFlop = 4e-11, kUnetSecondsPerFlop = 4e-11;
// Per layer and step, however small the layer: its forward, backward and optimiser update.
constexpr double kSecondsPerLayerStep = 450e-6;

// The learned array's shape per frame: {state dim} or {nx, ny}.
std::vector<uint64_t> frame_shape(const Experiment& e) {
  ArraySpec a;
  if (e.system) {
    a = e.system->arrays().front();
  } else {
    const DatasetReader r(data_path(e, "train"));
    a = r.spec(r.header().kind == "states" ? "states" : r.state_field());
  }
  return {a.shape.begin() + 1, a.shape.end()};
}

struct Network {
  double macs = 0;   // multiply-adds per example, forward
  double layers = 0;
  double seconds_per_flop = 0;
};

Network network(const Experiment& e, const std::string& model) {
  const learner::TrainOptions& o = e.train;
  const std::vector<uint64_t> shape = frame_shape(e);
  const double label = learner::model_kind(model).labels ? static_cast<double>(o.label_dim) : 0;
  Network n;
  if (o.arch == "mlp") {
    const double dim = static_cast<double>(shape.back()), in = static_cast<double>(o.window) * dim + label,
                 w = static_cast<double>(o.width), depth = static_cast<double>(o.depth);
    n.macs = in * w + (depth - 1) * w * w + w * dim;
    n.layers = depth + 1;
    n.seconds_per_flop = kMlpSecondsPerFlop;
    return n;
  }
  // The UNet of learner/unet.cpp: 3x3 convolutions, residual blocks of two, a level's grid a
  // quarter of the one above; the skip and embedding layers are left out.
  const std::vector<int64_t>& w = o.unet_widths;
  double pixels = static_cast<double>(shape.size() == 2 ? shape[0] * shape[1] : shape.back());
  const double in = static_cast<double>(o.window) + (learner::model_kind(model).diffusion ? 1 : 0) + (o.label_channels ? label : 0);
  double ch = static_cast<double>(w[0]);
  n.macs = 9 * in * ch * pixels;
  std::vector<double> level_pixels;
  for (size_t l = 0; l < w.size(); ++l, pixels /= 4) {
    level_pixels.push_back(pixels);
    const double c = static_cast<double>(w[l]);
    for (int64_t b = 0; b < o.unet_blocks; ++b) n.macs += 9 * (ch * c + c * c) * pixels, ch = c, n.layers += 2;
    if (l + 1 < w.size()) n.macs += 9 * c * c * pixels / 4, n.layers += 1;
  }
  for (size_t l = w.size() - 1; l-- > 0;) {
    const double c = static_cast<double>(w[l]);
    n.macs += 9 * ch * c * level_pixels[l], ch = 2 * c, n.layers += 1;
    for (int64_t b = 0; b < o.unet_blocks; ++b) n.macs += 9 * (ch * c + c * c) * level_pixels[l], ch = c, n.layers += 2;
  }
  n.macs += 9 * ch * level_pixels[0];
  n.seconds_per_flop = kUnetSecondsPerFlop;
  return n;
}

std::string duration(double seconds) {
  char buf[32];
  if (seconds < 120) std::snprintf(buf, sizeof buf, "%.3g s", seconds);
  else if (seconds < 7200) std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
  else if (seconds < 2 * 86400) std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
  else std::snprintf(buf, sizeof buf, "%.3g days", seconds / 86400);
  return buf;
}

}  // namespace

RunEstimate estimate_run(const Experiment& e) {
  RunEstimate r;
  r.simulate = e.simulate.core_seconds;
  const double frames = static_cast<double>(e.system ? e.system->header().time.size()
                                                     : DatasetReader(data_path(e, "test")).header().time.size());
  const double rollouts = static_cast<double>(e.sample.n_trajectories > 0 ? e.sample.n_trajectories
                                                                          : split_size(e, "test"));
  for (const auto& model : e.train.models) {
    const Network n = network(e, model);
    const double steps = static_cast<double>(e.train.iterations);
    r.train.emplace_back(model, steps * (static_cast<double>(e.train.batch_size) * 6 * n.macs * n.seconds_per_flop +
                                         n.layers * kSecondsPerLayerStep));
  }
  for (const auto& set : sample_sets(e)) {
    const Network n = network(e, set.model);
    const double evaluations = rollouts * (frames - 1) * static_cast<double>(std::max<int64_t>(1, set.ardm_steps));
    r.sample.emplace_back(set.name, evaluations * 2 * n.macs * n.seconds_per_flop);
  }
  return r;
}

std::vector<std::string> describe_estimate(const Experiment& e, int threads) {
  const RunEstimate r = estimate_run(e);
  char size[64];
  std::snprintf(size, sizeof size, "%.3g GB", e.simulate.data_bytes / 1e9);
  std::vector<std::string> lines{"data sets: " + std::string(size) + " (budget simulate.max_data_gb)"};
  double total = r.simulate;
  auto line = [&](const std::string& what, double seconds) {
    lines.push_back("  " + what + ": " + duration(seconds));
  };
  lines.push_back("estimated time on one core (a rough model, good to a factor of 2-3; pipeline/estimate.hpp):");
  if (e.system) line("simulate (budget simulate.max_core_hours)", r.simulate);
  for (const auto& [model, s] : r.train) line("train " + model, s), total += s;
  for (const auto& [set, s] : r.sample) line("sample " + set, s), total += s;
  lines.push_back("  in all: " + duration(total) + "; about " + duration(total / std::max(1, threads)) + " on " +
                  std::to_string(threads) + " thread(s), if the stages use them all");
  return lines;
}

void check_network_memory(const Experiment& e, config::Section& train) {
  if (e.train.arch != "mlp") return;
  // Per parameter: the weight, its gradient and AdamW's two moments (float32); per example and
  // layer, the activations kept for the backward pass (input and output of the nonlinearity).
  const double width = static_cast<double>(e.train.width), depth = static_cast<double>(e.train.depth);
  const double parameters = network(e, "sl").macs;
  const double bytes = 16 * parameters + 2 * 4 * static_cast<double>(e.train.batch_size) * width * depth;
  if (bytes > static_cast<double>(machine::memory_bytes())) {
    char text[200];
    std::snprintf(text, sizeof text, "an MLP of %g layers of %g needs about %.3g GB to train (%.3g M parameters), "
                  "more than this machine's %.3g GB", depth, width, bytes / 1e9, parameters / 1e6,
                  static_cast<double>(machine::memory_bytes()) / 1e9);
    train.fail("depth", text);
  }
}

}  // namespace slift::pipeline
