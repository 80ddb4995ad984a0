// Philox streams: keyed by (seed, stream, purpose), seekable, and statistically sane.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.hpp"

using slift::Rng;

namespace {

std::vector<uint32_t> draw(Rng r, int n) {
  std::vector<uint32_t> v(n);
  for (auto& x : v) x = r.next_u32();
  return v;
}

}  // namespace

TEST(Rng, SameKeyGivesSameSequence) {
  EXPECT_EQ(draw(Rng(42, 7, "test.a"), 1000), draw(Rng(42, 7, "test.a"), 1000));
  Rng a(42, 7, "test.a"), b(42, 7, "test.a");
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.normal(), b.normal());
}

TEST(Rng, DifferentSeedStreamOrPurposeGivesDifferentSequences) {
  auto base = draw(Rng(42, 7, "test.a"), 64);
  EXPECT_NE(base, draw(Rng(43, 7, "test.a"), 64));
  EXPECT_NE(base, draw(Rng(42, 8, "test.a"), 64));
  EXPECT_NE(base, draw(Rng(42, 7, "test.b"), 64));
  // The high halves of the seed and of the stream index count too.
  EXPECT_NE(base, draw(Rng(42 + (uint64_t{1} << 32), 7, "test.a"), 64));
  EXPECT_NE(base, draw(Rng(42, 7 + (uint64_t{1} << 32), "test.a"), 64));
  // Neighbouring streams must not be shifted copies of each other.
  auto s0 = draw(Rng(42, 0, "test.a"), 64), s1 = draw(Rng(42, 1, "test.a"), 64);
  EXPECT_EQ(std::search(s0.begin(), s0.end(), s1.begin(), s1.begin() + 4), s0.end());
}

TEST(Rng, PurposeIdIsAStableCompileTimeHash) {
  static_assert(slift::purpose_id("duffing.noise") != slift::purpose_id("duffing.initial"));
  // FNV-1a of the empty string: a change of the hash would silently change every dataset.
  static_assert(slift::purpose_id("") == 2166136261u);
  EXPECT_EQ(draw(Rng(1, 2, "x"), 8), draw(Rng(1, 2, slift::purpose_id("x")), 8));
}

TEST(Rng, PositionStartsAtZeroAndCountsWords) {
  Rng r(5, 3, "test.pos");
  EXPECT_EQ(r.position(), 0u);
  r.next_u32();
  EXPECT_EQ(r.position(), 1u);
  r.next_u64();
  EXPECT_EQ(r.position(), 3u);
  for (int i = 0; i < 10; ++i) r.next_u32();
  EXPECT_EQ(r.position(), 13u);
}

TEST(Rng, SeekAndPositionReproduceTheSequenceFromAnyPoint) {
  const auto ref = draw(Rng(9, 11, "test.seek"), 64);
  for (uint64_t p = 0; p < 40; ++p) {
    Rng r(9, 11, "test.seek");
    r.seek(p);
    EXPECT_EQ(r.position(), p);
    for (uint64_t i = p; i < p + 16; ++i) ASSERT_EQ(r.next_u32(), ref[i]) << "seek(" << p << "), word " << i;
  }
  // A checkpoint taken mid-stream (position()) resumes exactly where the original continues.
  for (int skip : {0, 1, 2, 3, 5, 17}) {
    Rng a(9, 11, "test.seek");
    for (int i = 0; i < skip; ++i) a.next_u32();
    a.normal();
    Rng b(9, 11, "test.seek");
    b.seek(a.position());
    for (int i = 0; i < 20; ++i) ASSERT_EQ(a.next_u32(), b.next_u32()) << "after skipping " << skip;
  }
}

TEST(Rng, UniformIsInsideTheOpenIntervalWithTheRightMean) {
  Rng r(1, 0, "test.uniform");
  const int n = 1000000;
  double sum = 0, lo = 1, hi = 0;
  for (int i = 0; i < n; ++i) {
    double u = r.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u, lo = std::min(lo, u), hi = std::max(hi, u);
  }
  EXPECT_NEAR(sum / n, 0.5, 5 * std::sqrt(1.0 / 12 / n));
  EXPECT_LT(lo, 1e-4);  // the whole interval is reached
  EXPECT_GT(hi, 1 - 1e-4);
}

TEST(Rng, NormalHasMeanZeroAndVarianceOne) {
  Rng r(2, 0, "test.normal");
  const int n = 1000000;
  double s1 = 0, s2 = 0, s4 = 0;
  for (int i = 0; i < n; ++i) {
    double x = r.normal();
    ASSERT_TRUE(std::isfinite(x));
    s1 += x, s2 += x * x, s4 += x * x * x * x;
  }
  // 5 sigma: sd(mean) = 1/sqrt(n), sd(mean of x^2) = sqrt(2/n), sd(mean of x^4) = sqrt(96/n).
  EXPECT_NEAR(s1 / n, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(s2 / n, 1.0, 5 * std::sqrt(2.0 / n));
  EXPECT_NEAR(s4 / n, 3.0, 5 * std::sqrt(96.0 / n));  // Gaussian tails, not just two moments
}

TEST(Rng, BelowIsInRangeAndUniform) {
  Rng r(3, 0, "test.below");
  for (int i = 0; i < 100; ++i) ASSERT_EQ(r.below(1), 0u);
  for (uint64_t n : {2, 3, 7, 10}) {
    const int per_bin = 20000;
    std::vector<double> count(n, 0);
    for (uint64_t i = 0; i < n * per_bin; ++i) {
      uint64_t k = r.below(n);
      ASSERT_LT(k, n);
      count[k] += 1;
    }
    double chi2 = 0;
    for (double c : count) chi2 += (c - per_bin) * (c - per_bin) / per_bin;
    // Chi-square with n-1 <= 9 degrees of freedom: 40 is far beyond p = 1e-5.
    EXPECT_LT(chi2, 40.0) << "below(" << n << ")";
  }
  // A bound that is not a power of two and close to 2^64 still stays in range.
  const uint64_t big = (uint64_t{1} << 63) + 12345;
  for (int i = 0; i < 1000; ++i) ASSERT_LT(r.below(big), big);
}
