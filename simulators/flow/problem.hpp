// The two-phase flow problem (Aarnes, Gimse & Lie 2007): grid, fluids, rock and wells.
// Cells are indexed c = i * ny + j (i along x, j along y), the layout of the stored fields.
#pragma once
#include <algorithm>
#include <vector>

namespace slift::sim::flow {

struct Grid {
  int nx = 64, ny = 64;
  double lx = 1.0, ly = 1.0;  // domain size; the thickness is one
  double hx() const { return lx / nx; }
  double hy() const { return ly / ny; }
  int cells() const { return nx * ny; }
};

// Quadratic (Corey n = 2) relative permeabilities of the normalised saturation S in [0, 1]: the
// one definition of the mobilities below and of the transport's loops (simulators/flow/transport.cpp).
inline double corey_water(double S) { return S * S; }
inline double corey_oil(double S) { return (1 - S) * (1 - S); }

// Mobilities of the saturation s through its normalised value S = (s - swc) / (1 - swc - sor),
// clipped to [0, 1] (immobile water below swc, immobile oil above 1 - sor).
struct Fluid {
  double mu_w = 1.0, mu_o = 1.0;  // viscosities
  double swc = 0.0, sor = 0.0;    // connate water, residual oil
  double normalised(double s) const { return std::clamp((s - swc) / (1 - swc - sor), 0.0, 1.0); }
  double lambda_w(double s) const { return corey_water(normalised(s)) / mu_w; }
  double lambda_o(double s) const { return corey_oil(normalised(s)) / mu_o; }
  double total(double s) const { return lambda_w(s) + lambda_o(s); }
  // The water's fractional flow f_w = lambda_w / (lambda_w + lambda_o) at a normalised saturation.
  double fractional_flow_normalised(double S) const {
    const double lw = corey_water(S) / mu_w, lo = corey_oil(S) / mu_o;
    return lw / (lw + lo);
  }
};

struct Well {
  int i = 0, j = 0;   // cell
  double rate = 0;    // volume per time: > 0 injects water, < 0 produces the cell's mixture
};

struct Problem {
  Grid grid;
  Fluid fluid;
  double porosity = 1.0;
  std::vector<Well> wells;  // rates sum to zero (incompressible, closed boundaries)
};

}  // namespace slift::sim::flow
