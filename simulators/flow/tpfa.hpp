// Two-point flux approximation of -div(lambda(s) K grad p) = q with no-flow boundaries.
//
// Face transmissibilities are harmonic means of the cells' lambda K (reference scheme):
//   T_x = 2 h_y / (h_x (1 / (lambda K_x)_l + 1 / (lambda K_x)_r)), likewise along y.
// The matrix pattern depends on the grid only, so its symbolic factorisation (AMD ordering and
// elimination tree) is done once and each pressure step only refactorises the values.
#pragma once
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>
#include <vector>

#include "simulators/flow/problem.hpp"

namespace slift::sim::flow {

class Tpfa {
 public:
  explicit Tpfa(const Grid& g);
  // Fill the matrix values for the cell mobilities lambda_t and the permeability (K_x, K_y).
  void assemble(const double* lambda_t, const double* kx, const double* ky);
  // Numeric factorisation and solve for the source q (one value per cell).
  void solve(const std::vector<double>& q, std::vector<double>& p);
  // Floating-point operations of one factorisation and solve: 2 sum_j n_j^2 + 4 nnz(L), n_j the
  // entries below the diagonal of column j of L (a multiply and an add per update).
  double solve_flops() const { return solve_flops_; }
  // Total Darcy fluxes (volume per time) through interior faces, positive towards +x / +y:
  // vx[i * ny + j] between (i, j) and (i + 1, j); vy[i * (ny - 1) + j] between (i, j) and (i, j + 1).
  void fluxes(const std::vector<double>& p, std::vector<double>& vx, std::vector<double>& vy) const;
  // The last assembled matrix, lower triangle (for the benchmark of other pressure solvers).
  const Eigen::SparseMatrix<double>& matrix() const { return a_; }

 private:
  Grid g_;
  Eigen::SparseMatrix<double> a_;  // lower triangle, column-major
  std::vector<int> diag_, down_x_, down_y_;  // value positions of (c, c), (c + ny, c), (c + 1, c)
  std::vector<double> tx_, ty_;  // transmissibilities of the last assembly
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>, Eigen::Lower> ldlt_;
  Eigen::VectorXd x_;
  double solve_flops_ = 0;
};

}  // namespace slift::sim::flow
