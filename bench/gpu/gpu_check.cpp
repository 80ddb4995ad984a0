// The GPU check's measurements, one table (scripts/gpu-check.sh runs it; bench/gpu/RESULTS.md).
//   gpu_check CONFIG DATA_DIR OUT_DIR STEPS [key=value ...]
// DATA_DIR holds train.h5 and test.h5 of the config (slift simulate). On the fastest device
// ("auto": CUDA when usable) it measures the steady state of Stochastic Lifting's training in
// float32 (deterministic), bfloat16 and `performance: fast` (its steps replayed from a CUDA graph;
// on CUDA once more kernel by kernel, SLIFT_CUDA_GRAPH=0, over a quarter of the steps, for the
// graph's gain): kWarmup steps first (start-up,
// cuDNN's autotuning, the allocator's growth), stopped at a checkpoint, then STEPS more resumed
// in the same process and timed alone (the trainer's clock, between device synchronisations).
// It samples SL (float32 and bfloat16) and ARDM-40 at the largest batch that fits the device's
// memory and reports milliseconds per trajectory-frame of the rollouts alone. Everything goes
// through the learner's own train_model and sample_model, so the figures are what `slift run` gets.
//
// Under a launcher (mpirun -np N gpu_check ... with GPU_CHECK_ONLY=ranks) it measures the fast
// training alone on N ranks, one GPU each, at N times the config's batch (each GPU the config's).
//
// GPU_CHECK_MAX_ROLLOUTS caps the sampling batch (default 4096).
// Throughput: one training step's FLOPs, counted layer by layer for the config's network and batch
// as the dry run counts them (pipeline/estimate.hpp; GPU_CHECK_FLOPS_PER_STEP overrides), and
// GPU_CHECK_PEAK_TFLOPS (the card's dense bf16 peak) give TFLOP/s and the share of the peak
// (throughput() below); without a peak that column stays empty.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "learner/learner.hpp"
#include "pipeline/estimate.hpp"
#include "pipeline/experiment.hpp"

using namespace slift;

namespace {

constexpr int64_t kWarmup = 20;            // training steps before the timed ones
constexpr double kArdmSeconds = 30;        // about this long for ARDM-40's timed rollouts

double env_number(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::atof(v) : 0.0;
}

// TFLOP/s of a training at `steps_per_second` whose step costs `flops_per_step`, and its share of
// a peak of `peak_tflops` (0 where either is unknown).
struct Throughput {
  double tflops = 0, share = 0;
};
Throughput throughput(double flops_per_step, double steps_per_second, double peak_tflops) {
  Throughput t;
  t.tflops = flops_per_step * steps_per_second * 1e-12;
  t.share = peak_tflops > 0 ? t.tflops / peak_tflops : 0;
  return t;
}

struct Row {
  std::string what, device, precision;
  double steps_per_second = 0;  // training
  double ms_per_frame = 0;      // sampling: rollout milliseconds per trajectory-frame
  int64_t batch = 0, max_batch = 0, steps = 0, ranks = 1, frames = 0, graph_steps = 0;
  int64_t peak_bytes = 0;
  Throughput flops;
  bool ok = false;
};

void failed(const std::string& what, const std::exception& e) {
  std::printf("  %-34s FAILED: %s\n", what.c_str(), e.what());
  std::fflush(stdout);
}

// kWarmup steps to a checkpoint, then `steps` more resumed and timed (iterations fixed, so the
// learning-rate schedule is that of one run of kWarmup + steps).
Row train(const std::string& model, learner::TrainOptions o, int64_t steps, const std::string& data,
          const std::string& prefix, const std::string& what, double flops_per_step, double peak) {
  Row row;
  row.what = what;
  try {
    o.iterations = kWarmup + steps;
    o.log_every = o.checkpoint_every = o.iterations;
    o.stop_after = kWarmup;
    learner::train_model(model, o, data, 1, prefix + ".pt", prefix + ".ckpt", "");
    o.stop_after = 0;
    const auto r = learner::train_model(model, o, data, 1, prefix + ".pt", prefix + ".ckpt", "");
    row.device = r.device, row.precision = r.precision;
    row.steps = r.steps - kWarmup;
    row.graph_steps = r.graph_steps;
    row.steps_per_second = r.samples_per_second / static_cast<double>(o.batch_size);
    row.batch = o.batch_size;
    row.peak_bytes = r.peak_memory_bytes;
    row.flops = throughput(flops_per_step * static_cast<double>(o.ranks), row.steps_per_second, peak * static_cast<double>(o.ranks));
    row.ok = true;
    if (mpi::rank() == 0) {
      std::printf("  %-34s %9.3f steps/s  %s, %lld timed steps after %lld (%lld of them CUDA graph replays), batch %lld\n",
                  what.c_str(), row.steps_per_second, r.precision.c_str(), static_cast<long long>(row.steps),
                  static_cast<long long>(kWarmup), static_cast<long long>(row.graph_steps), static_cast<long long>(o.batch_size));
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    failed(what, e);
  }
  return row;
}

// Rollouts of n trajectories, all at once where the memory allows.
Row sample(const std::string& model, learner::SampleOptions o, int64_t k, int64_t n, const std::string& test,
           const std::string& out, const std::string& what) {
  Row row;
  row.what = what;
  try {
    o.n_trajectories = n;
    o.batch_size = n;
    const auto r = learner::sample_model(model, o, test, 2, out, k);
    row.device = r.device, row.precision = o.precision;
    row.batch = r.batch_size, row.max_batch = r.max_batch_size, row.frames = r.frames;
    row.ms_per_frame = 1e3 * r.rollout_seconds / static_cast<double>(r.n_trajectories * r.frames);
    row.peak_bytes = r.peak_memory_bytes;
    row.ok = true;
    std::printf("  %-34s %9.3f ms per trajectory-frame  (%lld rollouts of %lld frames, batch %lld)\n", what.c_str(),
                row.ms_per_frame, static_cast<long long>(r.n_trajectories), static_cast<long long>(r.frames),
                static_cast<long long>(r.batch_size));
    std::fflush(stdout);
  } catch (const std::exception& e) {
    failed(what, e);
  }
  return row;
}

// The most rollouts that fit at once, at most `most` (one short call: sample_model measures it).
int64_t fitting(const std::string& model, learner::SampleOptions o, int64_t k, int64_t most, const std::string& test,
                const std::string& out) {
  o.n_trajectories = 1;
  o.batch_size = most;
  return learner::sample_model(model, o, test, 2, out, k).max_batch_size;
}

std::string gib(int64_t bytes) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f GiB", static_cast<double>(bytes) / (1u << 30));
  return bytes > 0 ? s : "-";
}

std::string number(const char* format, double v, bool known = true) {
  char s[64];
  std::snprintf(s, sizeof s, format, v);
  return known ? s : "-";
}

nlohmann::json to_json(const Row& r) {
  return {{"what", r.what},         {"device", r.device},   {"precision", r.precision},     {"ok", r.ok},
          {"steps", r.steps},       {"graph_steps", r.graph_steps}, {"ranks", r.ranks},     {"steps_per_second", r.steps_per_second},
          {"ms_per_frame", r.ms_per_frame}, {"batch", r.batch}, {"max_batch", r.max_batch},
          {"peak_memory_bytes", r.peak_bytes}, {"tflops", r.flops.tflops}, {"share_of_bf16_peak", r.flops.share}};
}

void print_table(const std::vector<Row>& rows) {
  std::printf("\n| | device | rate | batch | peak memory | TFLOP/s | share of bf16 peak |\n|---|---|---|---|---|---|---|\n");
  for (const auto& r : rows) {
    if (!r.ok) {
      std::printf("| %s | failed | | | | | |\n", r.what.c_str());
      continue;
    }
    const bool training = r.steps > 0;
    const std::string rate = training ? number("%.3f steps/s", r.steps_per_second) : number("%.3f ms/frame", r.ms_per_frame);
    const std::string batch = training ? std::to_string(r.batch)
                                       : std::to_string(r.batch) + " (fits " + std::to_string(r.max_batch) + ")";
    std::printf("| %s | %s %s | %s | %s | %s | %s | %s |\n", r.what.c_str(), r.device.c_str(), r.precision.c_str(),
                rate.c_str(), batch.c_str(), gib(r.peak_bytes).c_str(),
                number("%.1f", r.flops.tflops, training && r.flops.tflops > 0).c_str(),
                number("%.1f%%", 100 * r.flops.share, training && r.flops.share > 0).c_str());
  }
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 5) usage_error("usage: gpu_check CONFIG DATA_DIR OUT_DIR STEPS [key=value ...]");
  const std::string config = argv[1], data = std::string(argv[2]) + "/train.h5", test = std::string(argv[2]) + "/test.h5";
  const std::string out = argv[3];
  const int64_t steps = std::max<int64_t>(1, std::atoll(argv[4]));
  const auto e = pipeline::load_experiment(config, std::vector<std::string>(argv + 5, argv + argc));
  log::set_level(log::Level::quiet);
  const double peak = env_number("GPU_CHECK_PEAK_TFLOPS");
  double flops = env_number("GPU_CHECK_FLOPS_PER_STEP");
  for (const auto& f : pipeline::estimate_run(e).train_flops)
    if (f.model == "sl" && flops <= 0) flops = f.per_step;
  const char* only = std::getenv("GPU_CHECK_ONLY");
  // Rollouts at once, at most (the CPU's "largest batch" is whatever one waits for).
  const auto most = static_cast<int64_t>(env_number("GPU_CHECK_MAX_ROLLOUTS") > 0 ? env_number("GPU_CHECK_MAX_ROLLOUTS") : 4096);

  auto o = e.train;
  o.device = "auto";
  o.ranks = 1;
  auto fast = o;
  fast.performance = "fast";
  std::vector<Row> rows;

  if (only && std::string(only) == "ranks") {  // under mpirun: one rank per GPU
    mpi::ensure_initialized();
    fast.ranks = mpi::size();
    fast.batch_size = o.batch_size * fast.ranks;
    flops *= static_cast<double>(fast.ranks);  // the global batch
    const std::string what = "train SL fast, " + std::to_string(fast.ranks) + " GPUs";
    rows.push_back(train("sl", fast, steps, data, out + "/sl_ranks", what, flops, peak));
    rows.back().ranks = fast.ranks;
    if (mpi::rank() == 0) {
      print_table(rows);
      write_file_atomic(out + "/gpu-check-ranks.json", to_json(rows.back()).dump(2) + "\n");
    }
    return rows.back().ok ? 0 : 1;
  }

  std::printf("gpu_check: %s, %lld timed training steps after %lld\n", config.c_str(), static_cast<long long>(steps),
              static_cast<long long>(kWarmup));
  rows.push_back(train("sl", o, steps, data, out + "/sl", "train SL float32 (deterministic)", flops, peak));
  auto bf16 = o;
  bf16.precision = "bfloat16";
  rows.push_back(train("sl", bf16, steps, data, out + "/sl_bf16", "train SL bfloat16", flops, peak));
  rows.push_back(train("sl", fast, steps, data, out + "/sl_fast", "train SL performance: fast", flops, peak));
  if (rows.back().device == "cuda") {  // the same without the CUDA graph: what the graph gains
    const char* set = std::getenv("SLIFT_CUDA_GRAPH");
    const std::string was = set ? set : "";
    setenv("SLIFT_CUDA_GRAPH", "0", /*overwrite=*/1);
    rows.push_back(train("sl", fast, std::max<int64_t>(1, steps / 4), data, out + "/sl_fast_eager",
                         "train SL fast, no CUDA graph", flops, peak));
    if (set)
      setenv("SLIFT_CUDA_GRAPH", was.c_str(), /*overwrite=*/1);
    else
      unsetenv("SLIFT_CUDA_GRAPH");
  }
  // An ARDM to sample (a few steps: the rollouts' speed does not depend on the weights).
  auto ardm = fast;
  ardm.iterations = 2;
  ardm.log_every = ardm.checkpoint_every = 2;
  learner::train_model("ardm", ardm, data, 1, out + "/ardm.pt", "", "");

  auto so = e.sample;
  so.device = "auto";
  const std::string sl = out + "/sl.pt";
  const int64_t sl_batch = fitting(sl, so, 0, most, test, out + "/warm.h5");
  rows.push_back(sample(sl, so, 0, sl_batch, test, out + "/sl.h5", "sample SL float32"));
  auto so_bf16 = so;
  so_bf16.precision = "bfloat16";
  rows.push_back(sample(sl, so_bf16, 0, sl_batch, test, out + "/sl_bf16.h5", "sample SL bfloat16"));
  // ARDM-40: as many rollouts as fit, or as take about kArdmSeconds at one rollout's pace if fewer.
  const std::string ardm_model = out + "/ardm.pt";
  const int64_t ardm_fits = fitting(ardm_model, so, 40, most, test, out + "/warm40.h5");
  const Row one = sample(ardm_model, so, 40, 1, test, out + "/ardm_one.h5", "ARDM-40, one rollout (pace)");
  const double one_rollout = one.ms_per_frame * 1e-3 * static_cast<double>(one.frames);  // seconds
  const int64_t n_ardm = std::clamp<int64_t>(static_cast<int64_t>(kArdmSeconds / std::max(one_rollout, 1e-6)), 1, ardm_fits);
  rows.push_back(sample(ardm_model, so, 40, n_ardm, test, out + "/ardm40.h5", "sample ARDM-40 float32"));
  rows.back().max_batch = ardm_fits;

  print_table(rows);
  nlohmann::json j = {{"config", config}, {"overrides", std::vector<std::string>(argv + 5, argv + argc)},
                      {"warmup_steps", kWarmup}, {"flops_per_step", flops}, {"peak_tflops", peak}};
  for (const auto& r : rows) j["rows"].push_back(to_json(r));
  write_file_atomic(out + "/gpu-check.json", j.dump(2) + "\n");
  return std::all_of(rows.begin(), rows.end(), [](const Row& r) { return r.ok; }) ? 0 : 1;
} catch (const Error& e) {
  std::fprintf(stderr, "gpu_check: %s\n", e.what());
  return static_cast<int>(e.code());
}
