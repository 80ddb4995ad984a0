// Explicit single-point upstream transport of the water saturation (reference scheme):
//   s <- s + (dt / pv) (sum of upstream water inflows - outflow f_w(s) + injection - production f_w(s)),
// with the total fluxes frozen over one pressure step and CFL-limited sub-steps.
//
// A sub-step touches only the wet region and its rim: a dry cell (s = 0, f_w = 0) whose
// neighbours are dry gains exactly +0, so skipping it leaves every byte as the full sweep would.
#pragma once
#include <vector>

#include "simulators/flow/problem.hpp"

namespace slift::sim::flow {

class Transport {
 public:
  explicit Transport(const Problem& pb);
  // Advance s over time T with the face fluxes of Tpfa::fluxes; adds the produced water volume to
  // `produced`. Returns the number of sub-steps.
  int advance(double T, const std::vector<double>& vx, const std::vector<double>& vy, std::vector<double>& s,
              double& produced);
  // The sub-step count for a pressure step of length T: ceil(T / cfl) with
  //   cfl = ((1 - swc - sor) / max(3, max f')) min_c pv_c / (inflow_c + injection_c),
  // and a relative epsilon of 1e-10, so that a T on an exact CFL multiple does not flip the count
  // on round-off. The reference's factor 1/3 bounds f' for viscosity ratios in [0.1, 10]; the
  // slope of f_w takes over outside, which keeps the scheme monotone (0 <= s <= 1).
  int substeps(double T, const std::vector<double>& vx, const std::vector<double>& vy);
  // Cell updates of the last advance(), summed over its sub-steps (the wet region's work).
  double cells_updated() const { return cells_updated_; }

 private:
  void coefficients(const std::vector<double>& vx, const std::vector<double>& vy);
  // Per row, the hull [lo, hi) of the cells that may be wet: where s > 0, and the injectors.
  void find_wet(const std::vector<double>& s);
  void substep(double k, std::vector<double>& s);
  Problem pb_;
  double pv_;           // pore volume of a cell
  double slope_bound_;  // max(3, max f') on the normalised saturation
  std::vector<double> injection_, production_;  // per cell: max(q, 0), max(-q, 0)
  std::vector<int> producers_;                  // cells with production
  std::vector<int> wells_;                      // cells with injection or production
  std::vector<double> well_s_;                  // their saturations at the start of a sub-step
  // Total fluxes through the faces, frozen over a pressure step (volume per time, towards +x, +y),
  // with the boundary's zero faces: fx_[i * ny + j] between cells (i - 1, j) and (i, j), rows 0..nx;
  // fy_[i * (ny + 1) + j] between (i, j - 1) and (i, j), j = 0..ny. Two arrays instead of six per
  // cell coefficients: the sub-steps are bound by the arrays they read.
  std::vector<double> fx_, fy_;
  std::vector<double> fw_;  // f_w with a ghost ring of zeros (no-flow boundary), row stride ny + 2
  std::vector<int> wet_lo_, wet_hi_;        // per row: the wet hull, which only grows within a pressure step
  std::vector<int> upd_lo_, upd_hi_;        // per row: the cells a sub-step updates (wet hull and its rim)
  double cells_updated_ = 0;
};

}  // namespace slift::sim::flow
