#include "pipeline/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/dataset.hpp"
#include "core/machine.hpp"
#include "learner/unet_spec.hpp"

namespace slift::pipeline {
namespace {

// Measured with `slift train ... --threads 1` on a loaded 2-core machine, 2026-11-30 (ms/step of
// its log): configs/duffing.yaml (MLP 3 x 256, batch 512) 18 ms, the same MLP 300 x 8 140 ms,
// configs/wave.yaml (UNet 16, 32, 64 on 32^2, batch 32) 440 ms (150-200 ms on an idle machine).
constexpr double kMlpSecondsPerFlop = 4e-11, kUnetSecondsPerFlop = 4e-11;
// Per layer and step, however small the layer: its forward, backward and optimiser update.
constexpr double kSecondsPerLayerStep = 450e-6;
// One multiply-add or comparison of the metrics' loops (projections, sorts).
constexpr double kSecondsPerMetricOp = 1e-9;
// The dense bfloat16 peak of an H100 or H200 SXM, and the share of it that a well-fed training
// reaches (issue 23's target): the dry run's GPU time.
constexpr double kGpuPeakFlopsPerSecond = 989e12, kGpuFlopsPerSecond = 0.3 * kGpuPeakFlopsPerSecond;

// The learned array's shape per frame: {state dim} or the grid's sizes.
std::vector<uint64_t> frame_shape(const Experiment& e) {
  ArraySpec a;
  if (e.system) {
    a = e.system->arrays().front();
  } else {
    const DatasetReader r(data_path(e, "train"));
    a = r.spec(r.header().kind == "states" ? "states" : r.state_field(e.train.state_field));
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
  Network n;
  if (o.arch == "mlp") {
    const double dim = static_cast<double>(shape.back()),
                 in = static_cast<double>(learner::network_input(model, o).values(static_cast<int64_t>(shape.back()))),
                 w = static_cast<double>(o.width), depth = static_cast<double>(o.depth);
    n.macs = in * w + (depth - 1) * w * w + w * dim;
    n.layers = depth + 1;
    n.seconds_per_flop = kMlpSecondsPerFlop;
    return n;
  }
  // The UNet of learner/unet.cpp, counted layer by layer (learner/unet_spec.hpp); its layers: two
  // convolutions per block, one per down- and upsampling.
  n.macs = learner::forward_flops(learner::unet_spec(model, o, false), std::vector<int64_t>(shape.begin(), shape.end())) / 2;
  const double levels = static_cast<double>(o.unet_widths.size()), blocks = static_cast<double>(o.unet_blocks);
  n.layers = 2 * levels * blocks + (levels - 1) * (2 + 2 * blocks);
  n.seconds_per_flop = kUnetSecondsPerFlop;
  return n;
}

// Sliced W2 between point clouds of n and m points of `dim` values: per projection, the
// projections and the two sorts.
double sliced_w2_ops(double n, double m, double dim, double projections) {
  return projections * ((n + m) * dim + n * std::log2(n + 1) + m * std::log2(m + 1));
}

// Bytes the conditional check holds at once: each one-step set's samples of every state (float)
// and the simulator's (double), and one state's working copies.
double conditional_bytes(const Experiment& e, double dim) {
  const double states = static_cast<double>(std::min(e.evaluate.conditional_states, split_size(e, "test")));
  const double n = static_cast<double>(e.evaluate.conditional_samples);
  return states * n * dim * (4 + 8) + n * dim * 40;
}

double product(const std::vector<uint64_t>& shape) {
  double p = 1;
  for (auto d : shape) p *= static_cast<double>(d);
  return p;
}

std::string duration(double seconds) {
  char buf[32];
  if (seconds < 120) std::snprintf(buf, sizeof buf, "%.3g s", seconds);
  else if (seconds < 7200) std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
  else if (seconds < 2 * 86400) std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
  else std::snprintf(buf, sizeof buf, "%.3g days", seconds / 86400);
  return buf;
}

double evaluate_seconds(const Experiment& e, double rollouts, double frames) {
  const std::vector<SampleSet> sets = sample_sets(e);
  const double compared = static_cast<double>(sets.size()) + 2;  // and the two floors
  const double test = static_cast<double>(split_size(e, "test")), dim = product(frame_shape(e));
  const double projections = static_cast<double>(e.evaluate.sliced_projections);
  if (frame_shape(e).size() != 1)  // fields: one pass over every set, then the bootstrap's resamples of the summaries
    return compared * (rollouts + test) * frames * dim * kSecondsPerMetricOp +
           static_cast<double>(e.evaluate.bootstrap) * compared * (rollouts + test) * frames *
               std::log2(rollouts + test + 1) * kSecondsPerMetricOp;
  double ops = compared * frames * sliced_w2_ops(rollouts, test, dim, projections);
  double seconds = 0;
  if (e.evaluate.conditional_states > 0 && e.system) {
    const double states = std::min(static_cast<double>(e.evaluate.conditional_states), test);
    const double n = static_cast<double>(e.evaluate.conditional_samples);
    // Two simulator batches per state: a step costs about a trajectory's time over its frames.
    seconds += states * 2 * n * e.system->core_seconds_per_trajectory() / std::max(1.0, frames - 1);
    for (const auto& set : sets) {
      if (set.ardm_steps > 0) continue;
      const Network net = network(e, set.model);
      seconds += states * n * 2 * net.macs * net.seconds_per_flop;
      ops += states * sliced_w2_ops(n, n, dim, projections);
    }
    ops += states * sliced_w2_ops(n, n, dim, projections);  // the simulator floor
  }
  return seconds + ops * kSecondsPerMetricOp;
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
    const double step_flops = static_cast<double>(e.train.batch_size) * 6 * n.macs;
    r.train.emplace_back(model, steps * (step_flops * n.seconds_per_flop + n.layers * kSecondsPerLayerStep));
    r.train_flops.push_back({model, 2 * n.macs, step_flops});
  }
  for (const auto& set : sample_sets(e)) {
    const Network n = network(e, set.model);
    const double evaluations = rollouts * (frames - 1) * static_cast<double>(std::max<int64_t>(1, set.ardm_steps));
    r.sample.emplace_back(set.name, evaluations * 2 * n.macs * n.seconds_per_flop);
  }
  r.evaluate = evaluate_seconds(e, rollouts, frames);
  return r;
}

std::vector<std::string> describe_estimate(const Experiment& e, int threads) {
  const RunEstimate r = estimate_run(e);
  char size[64];
  std::snprintf(size, sizeof size, "%.3g GB", e.simulate.data_bytes / 1e9);
  std::vector<std::string> lines{"data sets: " + std::string(size) + " (budget " +
                                 (e.system ? "simulate" : "data") + ".max_data_gb)"};
  double total = r.simulate;
  auto line = [&](const std::string& what, double seconds) {
    lines.push_back("  " + what + ": " + duration(seconds));
  };
  lines.push_back("estimated time on one core (a rough model, good to a factor of 2-3; pipeline/estimate.hpp):");
  if (e.system) line("simulate (budget simulate.max_core_hours)", r.simulate);
  for (const auto& [model, s] : r.train) line("train " + model, s), total += s;
  for (const auto& [set, s] : r.sample) line("sample " + set, s), total += s;
  line("evaluate", r.evaluate), total += r.evaluate;
  lines.push_back("  in all: " + duration(total) + "; about " + duration(total / std::max(1, threads)) + " on " +
                  std::to_string(threads) + " thread(s), if the stages use them all");
  // The arithmetic of training, and what it takes on a GPU at a stated share of its peak.
  char rate[160];
  std::snprintf(rate, sizeof rate, "training arithmetic, and its time at %.0f TFLOP/s (%.0f%% of an H100's or H200's dense "
                "bfloat16 peak, %.0f TFLOP/s):", kGpuFlopsPerSecond / 1e12, 100 * kGpuFlopsPerSecond / kGpuPeakFlopsPerSecond,
                kGpuPeakFlopsPerSecond / 1e12);
  lines.push_back(rate);
  for (const auto& f : r.train_flops) {
    char text[240];
    const double all = f.per_step * static_cast<double>(e.train.iterations);
    std::snprintf(text, sizeof text, "  train %s: %.4g TFLOP per step (forward %.5g GFLOP per sample x batch %lld x 3 for "
                  "forward and backward), %.3g FLOP in all: %s", f.model.c_str(), f.per_step / 1e12, f.forward_per_sample / 1e9,
                  static_cast<long long>(e.train.batch_size), all, duration(all / kGpuFlopsPerSecond).c_str());
    lines.push_back(text);
  }
  return lines;
}

void check_evaluate_memory(const Experiment& e, config::Section& evaluate) {
  const double bytes = conditional_bytes(e, product(frame_shape(e)));
  if (e.evaluate.conditional_states == 0 || bytes <= machine::memory_bytes() / 4.0) return;
  char text[240];
  std::snprintf(text, sizeof text,
                "the conditional check would hold about %.3g GB of samples (%lld per state), more than a quarter of "
                "this machine's %.3g GB",
                bytes / 1e9, static_cast<long long>(e.evaluate.conditional_samples),
                static_cast<double>(machine::memory_bytes()) / 1e9);
  evaluate.fail("conditional_samples", text);
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
