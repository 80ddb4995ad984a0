// Shared pieces of the wave tests.
#pragma once
#include <cmath>
#include <vector>

#include "simulators/fftw.hpp"

namespace slift::sim::wave::test {

// exp(-|x - centre|^2 / (2 w^2)) on the n x n grid of [0, L)^2, centre in the middle.
inline RealBuffer bump(int n, double length, double width) {
  RealBuffer u(size_t(n) * n);
  const double h = length / n, c = length / 2;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double dx = i * h - c, dy = j * h - c;
      u[size_t(i) * n + j] = std::exp(-(dx * dx + dy * dy) / (2 * width * width));
    }
  return u;
}

inline double max_abs_diff(const double* a, const double* b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(a[i] - b[i]));
  return m;
}

}  // namespace slift::sim::wave::test
