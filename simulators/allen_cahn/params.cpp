#include "simulators/allen_cahn/params.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace slift::sim::allen_cahn {
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

namespace {

// dt: positive, at most a frame and kMaxCubicDt (with the cubic), a whole number of steps per frame.
int read_steps_per_frame(config::Section& s, const Params& p) {
  const double dt = s.get("dt", p.dt(), config::positive()), frame = p.frame_dt();
  if (p.cubic && dt > kMaxCubicDt)
    s.fail("dt", "must be <= " + num(kMaxCubicDt) + " with the cubic term (explicit: stable while dt 3 u^2 < 2), got " + num(dt));
  const double steps = frame / dt;
  if (!(steps <= INT32_MAX))
    s.fail("dt", "needs " + num(steps) + " steps per frame, more than the " + std::to_string(INT32_MAX) + " a run can count");
  if (steps < 1 - 1e-9) s.fail("dt", "must not exceed the frame interval t_end / (n_frames - 1) = " + num(frame));
  if (std::fabs(steps - std::round(steps)) > 1e-9 * steps)
    s.fail("dt", "t_end / (n_frames - 1) = " + num(frame) + " is not a whole number of steps of " + num(dt) +
                     "; the largest dt below it that does: " + num(frame / std::ceil(steps)));
  return static_cast<int>(std::round(steps));
}

}  // namespace

Params read_params(config::Section& s) {
  Params p;
  p.length = s.get("length", p.length, config::positive());
  p.n_cells = s.get("n_cells", p.n_cells, [](const int64_t& n) -> std::optional<std::string> {
    if (n < 4 || n > 65536 || n % 2) return "must be an even number in [4, 65536], got " + std::to_string(n);
    return std::nullopt;
  });
  p.nu = s.get("nu", p.nu, config::positive());
  p.sigma = s.get("sigma", p.sigma, config::non_negative());
  p.cubic = s.get("cubic", p.cubic);
  p.t_end = s.get("t_end", p.t_end, config::positive());
  p.n_frames = s.get("n_frames", p.n_frames, config::at_least(2));
  config::Section ic = s.section("initial");
  p.initial_mean = ic.get("mean", p.initial_mean, config::in_range(-2, 2));
  p.initial_spread = ic.get("spread", p.initial_spread, config::non_negative());
  ic.finish();
  p.steps_per_frame = read_steps_per_frame(s, p);
  return p;
}

}  // namespace slift::sim::allen_cahn
