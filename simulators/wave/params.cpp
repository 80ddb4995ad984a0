#include "simulators/wave/params.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/machine.hpp"

namespace slift::sim::wave {

double Params::speed_bound() const {
  return speed_map == SpeedMap::minmax ? c_max : c_ref * std::exp(log_std * clip);
}

double leapfrog_dt_limit(int n, double length, double c_max) {
  const double k_max = std::sqrt(2.0) * (n / 2) * (2 * M_PI / length);
  return 2.0 / (c_max * k_max);
}

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

config::Check<int64_t> even_at_least(int64_t lo) {
  return [lo](const int64_t& v) -> std::optional<std::string> {
    if (v < lo || v % 2) return "must be an even number >= " + std::to_string(lo) + ", got " + std::to_string(v);
    return std::nullopt;
  };
}

// dt: "auto" or a number; stable and a whole number of steps per frame, else a usage error.
int resolve_steps_per_frame(config::Section& s, const Params& p) {
  const std::string text = s.get<std::string>("dt", "auto");
  const double limit = leapfrog_dt_limit(p.n_solve, p.length, p.speed_bound()), frame = p.frame_dt();
  // Fewest steps per frame with dt strictly below the limit.
  const int fewest = static_cast<int>(std::floor(frame / limit)) + 1;
  // Steps per frame count in int32, like every loop over them.
  auto whole_steps = [&](double steps, const std::string& key) {
    if (!(steps <= INT32_MAX))
      s.fail(key, "needs " + num(steps) + " steps per frame, more than the " + std::to_string(INT32_MAX) + " a run can count");
    return static_cast<int>(steps);
  };
  if (text == "auto") return whole_steps(std::ceil(frame / (kAutoDtFraction * limit)), "t_end");
  double dt = 0;
  try {
    size_t pos = 0;
    dt = std::stod(text, &pos);
    if (pos != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    s.fail("dt", "expected a number or 'auto', got '" + text + "'");
  }
  if (!(dt > 0)) s.fail("dt", "must be > 0, got " + text);
  if (dt >= limit)
    s.fail("dt", "unstable: dt = " + text + " is not below the leapfrog limit 2/sqrt(lambda_max) = " + num(limit) +
                     " (c_max " + num(p.speed_bound()) + ", " + std::to_string(p.n_solve) + "^2 grid); largest stable dt " +
                     "landing on the frames: " + num(frame / fewest) + " (or dt: auto)");
  const double steps = frame / dt;
  whole_steps(steps, "dt");
  if (std::fabs(steps - std::round(steps)) > 1e-9 * steps) {
    const int below = std::max(static_cast<int>(std::ceil(steps)), fewest);
    s.fail("dt", "t_end / (n_frames - 1) = " + num(frame) + " is not a whole number of steps of " + text +
                     "; the nearest stable dt below it that does: " + num(frame / below) + " (or dt: auto)");
  }
  return whole_steps(std::round(steps), "dt");
}

}  // namespace

Params read_params(config::Section& s) {
  Params p;
  p.length = s.get("length", p.length, config::positive());
  p.n_solve = s.get("n_solve", p.n_solve, even_at_least(4));
  // A worker holds about kWorkerFields n_solve^2 doubles (solver, medium, resampling buffers).
  constexpr double kWorkerFields = 24;
  const double worker_bytes = kWorkerFields * 8.0 * p.n_solve * p.n_solve;
  if (worker_bytes > machine::memory_bytes())
    s.fail("n_solve", "a " + std::to_string(p.n_solve) + "^2 grid needs " + num(worker_bytes / 1e9) +
                          " GB per thread, more than this machine's " + num(machine::memory_bytes() / 1e9) + " GB");
  p.n_out = s.get("n_out", p.n_out, even_at_least(2));
  const std::string down = s.get<std::string>("downsample", "stride", config::one_of({"stride", "spectral"}));
  p.downsample = down == "stride" ? Downsample::stride : Downsample::spectral;
  if (p.n_out > p.n_solve) s.fail("n_out", "must not exceed n_solve = " + std::to_string(p.n_solve));
  if (p.downsample == Downsample::stride && p.n_solve % p.n_out)
    s.fail("n_out", "must divide n_solve = " + std::to_string(p.n_solve) + " with downsample: stride, got " +
                        std::to_string(p.n_out));
  const std::string form = s.get<std::string>("form", "laplacian", config::one_of({"laplacian", "divergence"}));
  p.form = form == "laplacian" ? Form::laplacian : Form::divergence;
  p.t_end = s.get("t_end", p.t_end, config::positive());
  p.n_frames = s.get("n_frames", p.n_frames, config::at_least(2));

  config::Section ic = s.section("initial");
  const std::vector<double> centre = ic.get("center", std::vector<double>{p.length / 2, p.length / 2},
                                            config::Check<std::vector<double>>([&](const std::vector<double>& v) {
                                              if (v.size() != 2) return std::optional<std::string>("expected [x, y]");
                                              for (double x : v)
                                                if (x < 0 || x > p.length)
                                                  return std::optional<std::string>("must lie in [0, length]");
                                              return std::optional<std::string>();
                                            }));
  p.bump_x = centre[0], p.bump_y = centre[1];
  p.bump_width = ic.get("width", p.bump_width, config::positive());
  p.bump_amplitude = ic.get("amplitude", p.bump_amplitude);
  ic.finish();

  config::Section m = s.section("medium");
  const double k_hi = p.n_out / 2 - 1;
  p.k0 = m.get("k0", p.k0, config::Check<double>([&](const double& k) -> std::optional<std::string> {
                 if (k < 1 || k > k_hi)
                   return "must lie in [1, n_out/2 - 1] = [1, " + num(k_hi) + "] (units of 2 pi / length), got " + num(k);
                 return std::nullopt;
               }));
  p.spectrum_width = m.get("spectrum_width", p.spectrum_width, config::positive());
  const std::string map = m.get<std::string>("map", "minmax", config::one_of({"minmax", "lognormal"}));
  p.speed_map = map == "minmax" ? SpeedMap::minmax : SpeedMap::lognormal;
  if (p.speed_map == SpeedMap::minmax) {
    p.c_min = m.get("c_min", p.c_min, config::non_negative());
    p.c_max = m.get("c_max", p.c_max, config::positive());
    if (p.c_max <= p.c_min) m.fail("c_max", "must exceed c_min = " + num(p.c_min));
  } else {
    p.c_ref = m.get("c_ref", p.c_ref, config::positive());
    p.log_std = m.get("log_std", p.log_std, config::non_negative());
    p.clip = m.get("clip", p.clip, config::positive());
  }
  m.finish();

  const std::string plans = s.get<std::string>("fft_plans", "estimate", config::one_of({"estimate", "measure"}));
  p.fft_plans = plans == "estimate" ? FftPlans::estimate : FftPlans::measure;
  p.steps_per_frame = resolve_steps_per_frame(s, p);
  return p;
}

}  // namespace slift::sim::wave
