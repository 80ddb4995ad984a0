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
  for (int c = 0; c < n; ++c) {
    if (production_[c] > 0) producers_.push_back(c);
    if (production_[c] > 0 || injection_[c] > 0) wells_.push_back(c);
  }
  well_s_.assign(wells_.size(), 0.0);
  fx_.assign(static_cast<size_t>(g.nx + 1) * g.ny, 0.0);
  fy_.assign(static_cast<size_t>(g.nx) * (g.ny + 1), 0.0);
  fw_.assign(static_cast<size_t>(g.nx + 2) * (g.ny + 2), 0.0);
  for (auto* v : {&wet_lo_, &wet_hi_, &upd_lo_, &upd_hi_}) v->assign(g.nx, 0);
}

namespace {

inline double entering(double flux) { return std::max(flux, 0.0); }  // flux signed towards the cell
inline double leaving(double flux) { return std::min(flux, 0.0); }   // the same sign convention, <= 0

// Fluid's f_w of the saturation with the divisions hoisted (a = 1 / (1 - swc - sor), b = swc a,
// iw and io the inverse viscosities), so that the loops vectorise.
inline double fractional_flow(double s, double a, double b, double iw, double io) {
  const double S = std::min(std::max(s * a - b, 0.0), 1.0), lw = corey_water(S) * iw, lo = corey_oil(S) * io;
  return lw / (lw + lo);
}

// A cell's change of saturation in one sub-step: the upstream water inflows through its four
// faces (fluxes w, e, s, n towards +x, +y) minus its outflow (faces, then production) at its own
// f_w, plus injection; k = dt / pv. The terms are added in the order of the reference scheme, and
// a face that does not contribute adds +-0, which leaves the value as if it were not there.
inline double gain(double w, double e, double s, double n, double f_west, double f_east, double f_south,
                   double f_north, double f, double production, double injection, double k) {
  const double out = ((((production - leaving(w)) + entering(e)) - leaving(s)) + entering(n)) * k;
  return entering(w) * k * f_west + entering(-e) * k * f_east + entering(s) * k * f_south +
         entering(-n) * k * f_north - out * f + k * injection;
}

// One row's update without wells (their cells are redone by Transport::substep), compiled for
// AVX-512 and AVX2 too, chosen at run time. No FMA: every target rounds as the baseline, so the
// bytes do not depend on the node (transport.cpp is built with -ffp-contract=off). fy[j] is the
// face below cell j and fy[j + 1] the one above.
__attribute__((target_clones("avx512f", "avx2", "default"))) void update_row(
    int lo, int hi, double* __restrict__ s, const double* __restrict__ f, const double* __restrict__ f_west,
    const double* __restrict__ f_east, const double* __restrict__ fx_west, const double* __restrict__ fx_east,
    const double* __restrict__ fy, double k) {
  for (int j = lo; j < hi; ++j)
    s[j] += gain(fx_west[j], fx_east[j], fy[j], fy[j + 1], f_west[j], f_east[j], f[j - 1], f[j + 1], f[j], 0.0, 0.0, k);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void fractional_flow_row(
    int lo, int hi, const double* __restrict__ s, double* __restrict__ f, double a, double b, double iw, double io) {
  for (int j = lo; j < hi; ++j) f[j] = fractional_flow(s[j], a, b, iw, io);
}

}  // namespace

void Transport::coefficients(const std::vector<double>& vx, const std::vector<double>& vy) {
  const int nx = pb_.grid.nx, ny = pb_.grid.ny;
  std::copy(vx.begin(), vx.end(), fx_.begin() + ny);  // rows 0 and nx stay 0: no flow through the boundary
  for (int i = 0; i < nx; ++i) std::copy_n(vy.begin() + i * (ny - 1), ny - 1, fy_.begin() + i * (ny + 1) + 1);
}

int Transport::substeps(double T, const std::vector<double>& vx, const std::vector<double>& vy) {
  coefficients(vx, vy);
  const int nx = pb_.grid.nx, ny = pb_.grid.ny;
  double influx = 0;  // max over cells of inflow + injection: min pv / (inflow + injection)
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j) {
      const double *w = &fx_[i * ny + j], *s = &fy_[i * (ny + 1) + j];
      influx = std::max(influx, entering(w[0]) + entering(-w[ny]) + entering(s[0]) + entering(-s[1]) +
                                    injection_[i * ny + j]);
    }
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
  for (size_t w = 0; w < wells_.size(); ++w) well_s_[w] = s[wells_[w]];
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
    const double* f = f0 + i * py;
    const double *fx = fx_.data() + c0, *fy = fy_.data() + i * (ny + 1);
    update_row(lo, hi, si, f, f - py, f + py, fx, fx + ny, fy, k);
    for (size_t w = 0; w < wells_.size(); ++w) {  // the wells' cells again, with their rates
      const int j = wells_[w] - c0;
      if (j < lo || j >= hi) continue;
      si[j] = well_s_[w] + gain(fx[j], fx[j + ny], fy[j], fy[j + 1], f[j - py], f[j + py], f[j - 1], f[j + 1], f[j],
                                production_[c0 + j], injection_[c0 + j], k);
    }
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
  find_wet(s);
  cells_updated_ = 0;
  for (int step = 0; step < nts; ++step) {
    for (int c : producers_) produced += dt * production_[c] * fractional_flow(s[c], a, b, iw, io);
    substep(k, s);
  }
  return nts;
}

}  // namespace slift::sim::flow
