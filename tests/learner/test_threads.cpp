// setup_threads sets LibTorch's threads and also OpenBLAS's: Debian's pthread OpenBLAS otherwise keeps
// a worker per core spinning after each BLAS call, which took the second core from a 1-thread run.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "learner/model.hpp"

namespace slift::learner {
namespace {

TEST(Threads, SetupThreadsAppliesToLibTorchAndOpenBlas) {
  using GetThreads = int (*)();
  auto blas_threads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (!blas_threads) GTEST_SKIP() << "LibTorch is not linked to OpenBLAS here";
  for (int n : {1, 2}) {
    setup_threads(n);
    EXPECT_EQ(torch::get_num_threads(), n);
    EXPECT_EQ(blas_threads(), n);
  }
}

}  // namespace
}  // namespace slift::learner
