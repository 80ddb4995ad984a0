#include "metrics/wasserstein.hpp"

#include <algorithm>
#include <cmath>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace slift::metrics {

void require_finite(const std::vector<float>& data, int64_t n_time, int64_t per_frame, const std::string& set) {
  const std::string where = first_non_finite(data, n_time, per_frame);
  if (!where.empty()) runtime_error(set + ": " + where + "; metrics need finite data");
}

void require_finite_input(const std::vector<float>& data, int64_t n_time, int64_t per_frame, const std::string& file) {
  const std::string where = first_non_finite(data, n_time, per_frame);
  if (!where.empty()) usage_error(file + ": " + where + "; metrics need finite data");
}

double w2_1d(std::vector<double> a, std::vector<double> b) {
  SLIFT_ASSERT(!a.empty() && !b.empty(), "W2 of an empty sample");
  for (const auto* v : {&a, &b})
    SLIFT_ASSERT(std::all_of(v->begin(), v->end(), [](double x) { return std::isfinite(x); }), "W2 of non-finite values");
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const size_t n = a.size(), m = b.size();
  // Walk the merged quantile levels i/n and j/m; on each piece both quantile functions are constant.
  double sum = 0, level = 0;
  size_t i = 0, j = 0;
  while (i < n && j < m) {
    double next_a = double(i + 1) / n, next_b = double(j + 1) / m;
    double next = std::min(next_a, next_b);
    double d = a[i] - b[j];
    sum += (next - level) * d * d;
    level = next;
    if (next_a <= next) ++i;
    if (next_b <= next) ++j;
  }
  return std::sqrt(sum);  // a sum of squares: never negative
}

double sliced_w2(const std::vector<double>& a, const std::vector<double>& b, int dim, int n_projections, uint64_t seed) {
  SLIFT_ASSERT(dim > 0 && a.size() % dim == 0 && b.size() % dim == 0, "point clouds do not match the dimension");
  const size_t n = a.size() / dim, m = b.size() / dim;
  double sum = 0;
  std::vector<double> dir(dim), pa(n), pb(m);
  for (int p = 0; p < n_projections; ++p) {
    Rng rng(seed, p, "metrics.sliced");
    double norm = 0;
    for (auto& d : dir) d = rng.normal(), norm += d * d;
    norm = std::sqrt(norm);
    for (auto& d : dir) d /= norm;
    for (size_t i = 0; i < n; ++i) {
      pa[i] = 0;
      for (int k = 0; k < dim; ++k) pa[i] += a[i * dim + k] * dir[k];
    }
    for (size_t i = 0; i < m; ++i) {
      pb[i] = 0;
      for (int k = 0; k < dim; ++k) pb[i] += b[i * dim + k] * dir[k];
    }
    double w = w2_1d(pa, pb);
    sum += w * w;
  }
  return std::sqrt(sum / n_projections);
}

}  // namespace slift::metrics
