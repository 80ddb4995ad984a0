// Duffing oscillator with additive noise (paper section 4, appendix D.1):
//   dx = v dt,  dv = (-delta v - alpha x - beta x^3 + gamma cos(omega t)) dt + sigma dW,
// integrated by Euler-Maruyama with `substeps` inner steps per saved step.
#pragma once
#include <cmath>
#include <vector>

namespace slift::sim::duffing {

struct Params {
  double delta = 0.5, alpha = -1.0, beta = 1.0, gamma = 0.0, omega = 1.0, sigma = 0.5;
  double dt = 0.1;      // between saved states
  int substeps = 20;    // Euler-Maruyama steps per saved step
  int n_time = 64;      // saved states, including t = 0
  std::vector<double> x0_mean{1.0, 0.0}, x0_std{0.1, 0.1};
};

struct State {
  double x, v;
};

// One Euler-Maruyama step of size h from time t with Brownian increment dW.
inline State em_step(const Params& p, State s, double t, double h, double dW) {
  double force = -p.delta * s.v - p.alpha * s.x - p.beta * s.x * s.x * s.x + p.gamma * std::cos(p.omega * t);
  return {s.x + s.v * h, s.v + force * h + p.sigma * dW};
}

}  // namespace slift::sim::duffing
