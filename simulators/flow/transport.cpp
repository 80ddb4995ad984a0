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
    const double f = pb.fluid.fractional_flow_normalised(S);
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
  fw_.assign(static_cast<size_t>(g.nx + 2) * (g.ny + 2), 0.0);
  for (auto* v : {&wet_lo_, &wet_hi_, &upd_lo_, &upd_hi_}) v->assign(g.nx, 0);
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

void Transport::find_wet(const std::vector<double>& s) {
  const int nx = pb_.grid.nx, ny = pb_.grid.ny;
  for (int i = 0; i < nx; ++i) {
    int lo = 0, hi = ny;
    while (lo < hi && s[i * ny + lo] == 0 && injection_[i * ny + lo] == 0) ++lo;
    while (hi > lo && s[i * ny + hi - 1] == 0 && injection_[i * ny + hi - 1] == 0) --hi;
    wet_lo_[i] = lo, wet_hi_[i] = hi;
  }
  std::fill(fw_.begin(), fw_.end(), 0.0);
}

namespace {

// Fluid's f_w of the saturation with the divisions hoisted (a = 1 / (1 - swc - sor), b = swc a,
// iw and io the inverse viscosities), so that the loops vectorise.
inline double fractional_flow(double s, double a, double b, double iw, double io) {
  const double S = std::min(std::max(s * a - b, 0.0), 1.0), lw = corey_water(S) * iw, lo = corey_oil(S) * io;
  return lw / (lw + lo);
}

// One row's update, s += the upstream water fluxes (all coefficients pre-multiplied by dt / pv);
// compiled for AVX-512 and AVX2 too, chosen at run time. No FMA: every target rounds as the baseline, so the
// bytes do not depend on the node (transport.cpp is built with -ffp-contract=off).
__attribute__((target_clones("avx512f", "avx2", "default"))) void update_row(
    int lo, int hi, double* __restrict__ s, const double* __restrict__ f, const double* __restrict__ fwest,
    const double* __restrict__ feast, const double* __restrict__ w, const double* __restrict__ e,
    const double* __restrict__ so, const double* __restrict__ no, const double* __restrict__ out,
    const double* __restrict__ inj, double k) {
  for (int j = lo; j < hi; ++j)
    s[j] += w[j] * fwest[j] + e[j] * feast[j] + so[j] * f[j - 1] + no[j] * f[j + 1] - out[j] * f[j] + k * inj[j];
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void fractional_flow_row(
    int lo, int hi, const double* __restrict__ s, double* __restrict__ f, double a, double b, double iw, double io) {
  for (int j = lo; j < hi; ++j) f[j] = fractional_flow(s[j], a, b, iw, io);
}

}  // namespace

void Transport::substep(double k, std::vector<double>& s) {
  const int nx = pb_.grid.nx, ny = pb_.grid.ny, py = ny + 2;
  const Fluid& fl = pb_.fluid;
  const double a = 1 / (1 - fl.swc - fl.sor), b = fl.swc * a, iw = 1 / fl.mu_w, io = 1 / fl.mu_o;
  // A cell can gain water from its own row's wet hull widened by one, and from the rows beside.
  for (int i = 0; i < nx; ++i) {
    int lo = ny, hi = 0;
    auto join = [&](int l, int h) {
      if (l < h) lo = std::min(lo, l), hi = std::max(hi, h);
    };
    if (wet_lo_[i] < wet_hi_[i]) join(std::max(0, wet_lo_[i] - 1), std::min(ny, wet_hi_[i] + 1));
    if (i > 0) join(wet_lo_[i - 1], wet_hi_[i - 1]);
    if (i + 1 < nx) join(wet_lo_[i + 1], wet_hi_[i + 1]);
    // Widened to whole AVX-512 vectors (no scalar remainders): a dry cell beside dry cells gains +0.
    if (lo < hi) lo = lo / 8 * 8, hi = std::min(ny, (hi + 7) / 8 * 8);
    upd_lo_[i] = lo, upd_hi_[i] = hi;
    if (lo < hi) cells_updated_ += hi - lo;
  }
  // f_w from the old saturations on every updated cell; outside, s = 0 and f_w stays 0. Row i + 1's
  // f_w is computed just before row i is updated: its saturations are still the old ones, and the
  // three rows an update reads are still in cache.
  double* f0 = fw_.data() + py + 1;  // f0[i * py + j] = f_w of cell (i, j)
  auto flow_of_row = [&](int i) {
    fractional_flow_row(upd_lo_[i], upd_hi_[i], s.data() + i * ny, f0 + i * py, a, b, iw, io);
  };
  flow_of_row(0);
  for (int i = 0; i < nx; ++i) {
    if (i + 1 < nx) flow_of_row(i + 1);
    int lo = upd_lo_[i], hi = upd_hi_[i];
    const int c0 = i * ny;
    if (lo >= hi) continue;
    double* si = s.data() + c0;
    update_row(lo, hi, si, f0 + i * py, f0 + (i - 1) * py, f0 + (i + 1) * py, in_w_.data() + c0, in_e_.data() + c0,
               in_s_.data() + c0, in_n_.data() + c0, out_.data() + c0, injection_.data() + c0, k);
    int& wl = wet_lo_[i];
    int& wh = wet_hi_[i];
    if (wl >= wh) wl = hi, wh = lo;  // empty: let the scans below find the first wet cell
    while (lo < wl && si[lo] == 0) ++lo;
    while (hi > wh && si[hi - 1] == 0) --hi;
    wl = std::min(wl, lo), wh = std::max(wh, hi);
  }
}

int Transport::advance(double T, const std::vector<double>& vx, const std::vector<double>& vy, std::vector<double>& s,
                       double& produced) {
  const int nts = substeps(T, vx, vy);
  const double dt = T / nts, k = dt / pv_;
  const Fluid& fl = pb_.fluid;
  const double a = 1 / (1 - fl.swc - fl.sor), b = fl.swc * a, iw = 1 / fl.mu_w, io = 1 / fl.mu_o;
  for (auto* v : {&in_w_, &in_e_, &in_s_, &in_n_, &out_})
    for (double& x : *v) x *= k;
  find_wet(s);
  cells_updated_ = 0;
  for (int step = 0; step < nts; ++step) {
    for (int c : producers_) produced += dt * production_[c] * fractional_flow(s[c], a, b, iw, io);
    substep(k, s);
  }
  return nts;
}

}  // namespace slift::sim::flow
