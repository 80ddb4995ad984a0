#include "simulators/flow/tpfa.hpp"

#include "core/error.hpp"

namespace slift::sim::flow {

Tpfa::Tpfa(const Grid& g) : g_(g) {
  const int nx = g.nx, ny = g.ny, n = g.cells();
  std::vector<Eigen::Triplet<double>> t;
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j) {
      const int c = i * ny + j;
      t.emplace_back(c, c, 1.0);
      if (j + 1 < ny) t.emplace_back(c + 1, c, 1.0);
      if (i + 1 < nx) t.emplace_back(c + ny, c, 1.0);
    }
  a_.resize(n, n);
  a_.setFromTriplets(t.begin(), t.end());
  a_.makeCompressed();
  diag_.assign(n, -1), down_x_.assign(n, -1), down_y_.assign(n, -1);
  for (int c = 0; c < n; ++c)
    for (int k = a_.outerIndexPtr()[c]; k < a_.outerIndexPtr()[c + 1]; ++k) {
      const int r = a_.innerIndexPtr()[k];
      // With one cell along y, c + 1 is the x neighbour: test x first.
      const bool x_neighbour = r == c + ny && c / ny + 1 < nx;
      (r == c ? diag_ : x_neighbour ? down_x_ : down_y_)[c] = k;
    }
  tx_.assign(static_cast<size_t>(nx - 1) * ny, 0.0);
  ty_.assign(static_cast<size_t>(nx) * (ny - 1), 0.0);
  ldlt_.analyzePattern(a_);
}

void Tpfa::assemble(const double* lambda_t, const double* kx, const double* ky) {
  const int nx = g_.nx, ny = g_.ny;
  const double tx0 = 2 * g_.hy() / g_.hx(), ty0 = 2 * g_.hx() / g_.hy();
  double* v = a_.valuePtr();
  std::fill(v, v + a_.nonZeros(), 0.0);
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j) {
      const int c = i * ny + j;
      if (i + 1 < nx) {
        const double t = tx0 / (1 / (lambda_t[c] * kx[c]) + 1 / (lambda_t[c + ny] * kx[c + ny]));
        tx_[c] = t;
        v[diag_[c]] += t, v[diag_[c + ny]] += t, v[down_x_[c]] = -t;
      }
      if (j + 1 < ny) {
        const double t = ty0 / (1 / (lambda_t[c] * ky[c]) + 1 / (lambda_t[c + 1] * ky[c + 1]));
        ty_[i * (ny - 1) + j] = t;
        v[diag_[c]] += t, v[diag_[c + 1]] += t, v[down_y_[c]] = -t;
      }
    }
  // Pin the pressure (the matrix alone is singular): the reference adds the first cell's
  // permeability to A(1,1); with sources summing to zero this makes p = 0 in that cell.
  v[diag_[0]] += kx[0] + ky[0];
}

void Tpfa::solve(const std::vector<double>& q, std::vector<double>& p) {
  ldlt_.factorize(a_);
  if (ldlt_.info() != Eigen::Success) runtime_error("flow: the pressure matrix is not positive definite");
  if (solve_flops_ == 0) {  // the pattern of L is the grid's: count once
    const auto factor = ldlt_.matrixL();
    const auto& l = factor.nestedExpression();
    for (Eigen::Index j = 0; j < l.outerSize(); ++j) {
      const double n_j = l.outerIndexPtr()[j + 1] - l.outerIndexPtr()[j];
      solve_flops_ += 2 * n_j * n_j + 4 * n_j;
    }
  }
  x_ = ldlt_.solve(Eigen::Map<const Eigen::VectorXd>(q.data(), static_cast<Eigen::Index>(q.size())));
  p.assign(x_.data(), x_.data() + x_.size());
}

void Tpfa::fluxes(const std::vector<double>& p, std::vector<double>& vx, std::vector<double>& vy) const {
  const int nx = g_.nx, ny = g_.ny;
  vx.resize(tx_.size()), vy.resize(ty_.size());
  for (int i = 0; i + 1 < nx; ++i)
    for (int j = 0; j < ny; ++j) vx[i * ny + j] = tx_[i * ny + j] * (p[i * ny + j] - p[(i + 1) * ny + j]);
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j + 1 < ny; ++j) vy[i * (ny - 1) + j] = ty_[i * (ny - 1) + j] * (p[i * ny + j] - p[i * ny + j + 1]);
}

}  // namespace slift::sim::flow
