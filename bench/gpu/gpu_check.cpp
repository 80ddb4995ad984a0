// The GPU check's measurements, one table (scripts/gpu-check.sh runs it; bench/gpu/RESULTS.md).
//   gpu_check CONFIG DATA_DIR OUT_DIR SECONDS [key=value ...]
// DATA_DIR holds train.h5 and test.h5 of the config (slift simulate). On the fastest device
// ("auto": CUDA when usable) it trains Stochastic Lifting for about SECONDS in float32, then the
// same number of steps in bfloat16 and in bfloat16 with channels-last and cuDNN's benchmark mode,
// and the ARDM in float32; it samples SL and ARDM-40 there; then it times a few steps and a few
// rollouts of SL on the CPU. Training goes through the learner's own train_model and
// sample_model (no checkpoints, no probes), so the figures are what `slift run` gets.
#include <algorithm>
#include <exception>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "learner/learner.hpp"
#include "pipeline/experiment.hpp"

using namespace slift;

namespace {

struct Row {
  std::string what, device;
  double per_second = 0;  // training steps/s, or trajectories/s for sampling
  double per_item = 0;    // training transitions/s, or seconds per trajectory for sampling
  int64_t peak_bytes = 0;
};

// A failed row is reported and left empty; the others still run.
Row failed(const std::string& what, const std::exception& e) {
  std::printf("  %-40s FAILED: %s\n", what.c_str(), e.what());
  std::fflush(stdout);
  return {what, "failed"};
}

Row train(const std::string& model, learner::TrainOptions o, const std::string& data, const std::string& out,
          const std::string& what) try {
  const auto r = learner::train_model(model, o, data, 1, out, "", "");
  std::printf("  %-40s %8.3f steps/s  %10.0f transitions/s  (%lld steps, %s)\n", what.c_str(),
              static_cast<double>(r.steps) / r.seconds, r.samples_per_second, static_cast<long long>(r.steps),
              r.device.c_str());
  std::fflush(stdout);
  return {what, r.device, static_cast<double>(r.steps) / r.seconds, r.samples_per_second, r.peak_memory_bytes};
} catch (const std::exception& e) {
  return failed(what, e);
}

Row sample(const std::string& model, learner::SampleOptions o, int64_t k, const std::string& test, const std::string& out,
           const std::string& what) try {
  const auto r = learner::sample_model(model, o, test, 2, out, k);
  std::printf("  %-40s %8.4f s/trajectory (%lld trajectories, batch %lld, %s)\n", what.c_str(), r.seconds_per_trajectory,
              static_cast<long long>(r.n_trajectories), static_cast<long long>(r.batch_size), r.device.c_str());
  std::fflush(stdout);
  return {what, r.device, 1.0 / r.seconds_per_trajectory, r.seconds_per_trajectory, r.peak_memory_bytes};
} catch (const std::exception& e) {
  return failed(what, e);
}

std::string gib(int64_t bytes) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f GiB", static_cast<double>(bytes) / (1u << 30));
  return bytes > 0 ? s : "-";
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 5) usage_error("usage: gpu_check CONFIG DATA_DIR OUT_DIR SECONDS [key=value ...]");
  const std::string config = argv[1], data = std::string(argv[2]) + "/train.h5", test = std::string(argv[2]) + "/test.h5";
  const std::string out = argv[3];
  const double seconds = std::atof(argv[4]);
  const auto e = pipeline::load_experiment(config, std::vector<std::string>(argv + 5, argv + argc));
  log::set_level(log::Level::quiet);

  // Steps for about `seconds` on the fastest device, from a short float32 run (its first steps
  // include the device's start-up, so the estimate errs towards fewer steps).
  auto o = e.train;
  o.device = "auto";
  o.log_every = o.checkpoint_every = 1000000;
  o.iterations = 10;
  std::printf("gpu_check: %s\n", config.c_str());
  const Row probe = train("sl", o, data, out + "/probe.pt", "SL float32, 10 steps (start-up included)");
  o.iterations = std::max<int64_t>(10, static_cast<int64_t>(seconds * probe.per_second));
  if (probe.device == "failed") o.device = "cpu";  // the CPU's figures at least
  const bool gpu = probe.device == "cuda";

  std::vector<Row> rows;
  rows.push_back(train("sl", o, data, out + "/sl.pt", "train SL float32"));
  auto bf16 = o;
  bf16.precision = "bfloat16";
  rows.push_back(train("sl", bf16, data, out + "/sl_bf16.pt", "train SL bfloat16"));
  if (gpu) {
    auto fastest = bf16;
    fastest.channels_last = true;
    fastest.deterministic = false;
    rows.push_back(train("sl", fastest, data, out + "/sl_fast.pt", "train SL bfloat16, channels-last, benchmark"));
  }
  rows.push_back(train("ardm", o, data, out + "/ardm.pt", "train ARDM float32"));

  auto so = e.sample;
  so.device = "auto";
  so.ardm_steps = {40};
  auto warm = so;  // one rollout first, so that no timed set pays the device's first calls
  warm.n_trajectories = 1;
  sample(out + "/sl.pt", warm, 0, test, out + "/warm.h5", "warm-up: one SL rollout");
  rows.push_back(sample(out + "/sl.pt", so, 0, test, out + "/sl.h5", "sample SL float32"));
  rows.push_back(sample(out + "/ardm.pt", so, 40, test, out + "/ardm40.h5", "sample ARDM-40 float32"));
  auto so_bf16 = so;
  so_bf16.precision = "bfloat16";
  rows.push_back(sample(out + "/sl.pt", so_bf16, 0, test, out + "/sl_bf16.h5", "sample SL bfloat16"));

  // The same on this machine's CPU: two steps and four rollouts (a paper-scale step takes tens of seconds there).
  Row cpu_train, cpu_sample;  // per_second 0: not measured
  const bool with_cpu = gpu && !std::getenv("GPU_CHECK_SKIP_CPU");
  if (with_cpu) {
    auto c = o;
    c.device = "cpu";
    c.iterations = 2;
    cpu_train = train("sl", c, data, out + "/sl_cpu.pt", "train SL float32 on the CPU");
    auto cs = so;
    cs.device = "cpu";
    cs.n_trajectories = std::min<int64_t>(cs.batch_size, 4);
    cpu_sample = sample(out + "/sl.pt", cs, 0, test, out + "/sl_cpu.h5", "sample SL float32 on the CPU");
  }

  std::printf("\n| %s | %s | %s | %s |\n|---|---|---|---|\n", "", gpu ? "GPU" : "CPU (no GPU here)",
              with_cpu ? "CPU, same machine" : "-", with_cpu ? "GPU / CPU" : "-");
  nlohmann::json j = {{"config", config}, {"overrides", std::vector<std::string>(argv + 5, argv + argc)}};
  for (const auto& r : rows) {
    const bool training = r.what.rfind("train", 0) == 0;
    const Row* cpu = r.what == "train SL float32" ? &cpu_train : r.what == "sample SL float32" ? &cpu_sample : nullptr;
    if (cpu && cpu->per_second <= 0) cpu = nullptr;
    char a[64], b[64] = "-", c[64] = "-";
    if (training) {
      std::snprintf(a, sizeof a, "%.3f steps/s", r.per_second);
      if (cpu) std::snprintf(b, sizeof b, "%.4f steps/s", cpu->per_second), std::snprintf(c, sizeof c, "%.0fx", r.per_second / cpu->per_second);
    } else {
      std::snprintf(a, sizeof a, "%.4f s/trajectory", r.per_item);
      if (cpu) std::snprintf(b, sizeof b, "%.3f s/trajectory", cpu->per_item), std::snprintf(c, sizeof c, "%.0fx", cpu->per_item / r.per_item);
    }
    std::printf("| %s | %s | %s | %s |\n", r.what.c_str(), a, b, c);
    j["rows"].push_back({{"what", r.what}, {"device", r.device}, {"per_second", r.per_second}, {"per_item", r.per_item},
                         {"peak_memory_bytes", r.peak_bytes}});
  }
  int64_t peak_train = 0, peak_sample = 0;
  for (const auto& r : rows) {
    auto& peak = r.what.rfind("train", 0) == 0 ? peak_train : peak_sample;
    peak = std::max(peak, r.peak_bytes);
  }
  std::printf("| peak GPU memory, training / sampling | %s / %s | | |\n", gib(peak_train).c_str(), gib(peak_sample).c_str());
  std::printf("| training transitions/s, SL float32 | %.0f | %s | |\n", rows[0].per_item,
              cpu_train.per_second > 0 ? std::to_string(static_cast<int64_t>(cpu_train.per_item)).c_str() : "-");
  write_file_atomic(out + "/gpu-check.json", j.dump(2) + "\n");
  return 0;
} catch (const Error& e) {
  std::fprintf(stderr, "gpu_check: %s\n", e.what());
  return static_cast<int>(e.code());
}
