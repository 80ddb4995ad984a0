// MPI helpers under mpiexec -n 1 and -n 2: shares, gather in rank order, broadcast.
#include <gtest/gtest.h>

#include <vector>

#include "core/mpi_env.hpp"

namespace mpi = slift::mpi;

TEST(MpiShare, EveryRankCountSplitsTheRangeContiguouslyAndEvenly) {
  for (int p = 1; p <= 9; ++p)
    for (uint64_t n : {0, 1, 2, 3, 7, 8, 64, 1001}) {
      uint64_t next = 0, lo = n, hi = 0;
      for (int r = 0; r < p; ++r) {
        mpi::Range s = mpi::share(n, r, p);
        ASSERT_EQ(s.begin, next) << "n=" << n << " p=" << p << " r=" << r;
        ASSERT_LE(s.begin, s.end);
        lo = std::min(lo, s.end - s.begin), hi = std::max(hi, s.end - s.begin);
        next = s.end;
      }
      EXPECT_EQ(next, n) << "n=" << n << " p=" << p;
      EXPECT_LE(hi - lo, 1u) << "n=" << n << " p=" << p;
    }
}

TEST(MpiShare, RanksCoverEachItemExactlyOnce) {
  const int r = mpi::rank(), p = mpi::size();
  for (uint64_t n : {0, 1, 2, 5, 7, 50, 1000}) {
    mpi::Range s = mpi::share(n, r, p);
    std::vector<float> mine;
    for (uint64_t i = s.begin; i < s.end; ++i) mine.push_back(static_cast<float>(i));
    std::vector<float> all = mpi::gather_to_root(mine);
    if (r == 0) {
      ASSERT_EQ(all.size(), n) << "n=" << n;
      for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(all[i], static_cast<float>(i)) << "n=" << n;
    } else {
      EXPECT_TRUE(all.empty());
    }
  }
}

TEST(MpiGather, ConcatenatesInRankOrderWithUnequalSizes) {
  const int r = mpi::rank(), p = mpi::size();
  std::vector<float> mine(r + 1);  // rank r sends r+1 values r*100, r*100+1, ...
  for (int i = 0; i <= r; ++i) mine[i] = static_cast<float>(r * 100 + i);
  std::vector<float> all = mpi::gather_to_root(mine);
  if (r != 0) return;
  std::vector<float> want;
  for (int q = 0; q < p; ++q)
    for (int i = 0; i <= q; ++i) want.push_back(static_cast<float>(q * 100 + i));
  EXPECT_EQ(all, want);
}

TEST(MpiBroadcast, EveryRankGetsRankZerosValue) {
  const int r = mpi::rank();
  const uint64_t big = (uint64_t{1} << 63) + 5;  // all 64 bits survive
  EXPECT_EQ(mpi::broadcast(r == 0 ? big : 17), big);
  EXPECT_EQ(mpi::broadcast(static_cast<uint64_t>(r) * 10 + 3), 3u);
  mpi::barrier();
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  mpi::ensure_initialized();
  int rc = RUN_ALL_TESTS();
  // A failing rank must make mpiexec fail even when rank 0 passed.
  if (rc != 0) mpi::abort(rc);
  return 0;
}
