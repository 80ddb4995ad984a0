#include "simulators/flow/transport.hpp"

#include <algorithm>
#include <cmath>

namespace slift::sim::flow {

Transport::Transport(const Problem& pb) : pb_(pb) {
  const Grid& g = pb.grid;
  const int n = g.cells();
  pv_ = pb.porosity * g.hx() * g.hy();
  // Largest slope of f_w(S) on a fine grid, with 1 % margin for the points between.
  double slope = 0, prev = 0;
  const int m = 100000;
  for (int k = 0; k <= m; ++k) {
    const double S = static_cast<double>(k) / m;
    const double lw = S * S / pb.fluid.mu_w, lo = (1 - S) * (1 - S) / pb.fluid.mu_o, f = lw / (lw + lo);
    if (k > 0) slope = std::max(slope, (f - prev) * m);
    prev = f;
  }
  slope_bound_ = std::max(3.0, 1.01 * slope);
  injection_.assign(n, 0.0), production_.assign(n, 0.0);
  for (const Well& w : pb.wells) {
    const int c = w.i * g.ny + w.j;
    (w.rate > 0 ? injection_[c] : production_[c]) += std::abs(w.rate);
  }
  for (int c = 0; c < n; ++c)
    if (production_[c] > 0) producers_.push_back(c);
  for (auto* v : {&in_w_, &in_e_, &in_s_, &in_n_, &out_}) v->assign(n, 0.0);
  fw_.assign(static_cast<size_t>(4) * (g.ny + 2), 0.0);  // three ring rows and a row of zeros
}

void Transport::coefficients(const std::vector<double>& vx, const std::vector<double>& vy) {
  const int nx = pb_.grid.nx, ny = pb_.grid.ny;
  for (int c = 0; c < nx * ny; ++c) in_w_[c] = in_e_[c] = in_s_[c] = in_n_[c] = 0, out_[c] = production_[c];
  for (int i = 0; i + 1 < nx; ++i)
    for (int j = 0; j < ny; ++j) {
      const int l = i * ny + j, r = l + ny;
      const double v = vx[l];
      if (v > 0) in_w_[r] = v, out_[l] += v;
      else in_e_[l] = -v, out_[r] -= v;
    }
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j + 1 < ny; ++j) {
      const int b = i * ny + j, t = b + 1;
      const double v = vy[i * (ny - 1) + j];
      if (v > 0) in_s_[t] = v, out_[b] += v;
      else in_n_[b] = -v, out_[t] -= v;
    }
}

int Transport::substeps(double T, const std::vector<double>& vx, const std::vector<double>& vy) {
  coefficients(vx, vy);
  double influx = 0;  // max over cells of inflow + injection: min pv / (inflow + injection)
  for (int c = 0; c < pb_.grid.cells(); ++c)
    influx = std::max(influx, in_w_[c] + in_e_[c] + in_s_[c] + in_n_[c] + injection_[c]);
  const double cfl = (1 - pb_.fluid.swc - pb_.fluid.sor) / slope_bound_ * pv_ / influx;
  return std::max(1, static_cast<int>(std::ceil(T / cfl * (1 - 1e-10))));
}

int Transport::advance(double T, const std::vector<double>& vx, const std::vector<double>& vy, std::vector<double>& s,
                       double& produced) {
  const int nts = substeps(T, vx, vy);
  const int nx = pb_.grid.nx, ny = pb_.grid.ny, py = ny + 2;
  const double dt = T / nts, k = dt / pv_;
  // f_w with the divisions hoisted, so that the loops vectorise.
  const Fluid& fl = pb_.fluid;
  const double a = 1 / (1 - fl.swc - fl.sor), b = fl.swc * a, iw = 1 / fl.mu_w, io = 1 / fl.mu_o;
  auto fw = [=](double s) {
    const double S = std::min(std::max(s * a - b, 0.0), 1.0), lw = S * S * iw, lo = (1 - S) * (1 - S) * io;
    return lw / (lw + lo);
  };
  for (auto* v : {&in_w_, &in_e_, &in_s_, &in_n_, &out_})
    for (double& x : *v) x *= k;
  // f_w lives in a ring of three padded rows (i - 1, i, i + 1), filled one row ahead of the
  // in-place update of row i: one pass over memory per sub-step.
  double* ring[3] = {fw_.data(), fw_.data() + py, fw_.data() + 2 * py};
  const double* zero = fw_.data() + 3 * py;
  auto fill = [&](int i) {
    double* f = ring[i % 3] + 1;
    const double* si = s.data() + i * ny;
    for (int j = 0; j < ny; ++j) f[j] = fw(si[j]);
  };
  for (int step = 0; step < nts; ++step) {
    for (int c : producers_) produced += dt * production_[c] * fw(s[c]);
    fill(0);
    for (int i = 0; i < nx; ++i) {
      if (i + 1 < nx) fill(i + 1);
      const double* f = ring[i % 3] + 1;
      const double* fwest = (i > 0 ? ring[(i + 2) % 3] : zero) + 1;
      const double* feast = (i + 1 < nx ? ring[(i + 1) % 3] : zero) + 1;
      const int c0 = i * ny;
      const double *w = in_w_.data() + c0, *e = in_e_.data() + c0, *so = in_s_.data() + c0, *no = in_n_.data() + c0,
                   *out = out_.data() + c0, *inj = injection_.data() + c0;
      double* si = s.data() + c0;
      for (int j = 0; j < ny; ++j)
        si[j] += w[j] * fwest[j] + e[j] * feast[j] + so[j] * f[j - 1] + no[j] * f[j + 1] - out[j] * f[j] + k * inj[j];
    }
  }
  return nts;
}

}  // namespace slift::sim::flow
