// core::Rng's draws as LibTorch tensor ops, so that a device makes them itself: no host loop, no
// copy of the draws, nothing a CUDA graph cannot record, and the counters may live in device
// tensors (a step index that a recorded training step counts up).
//
// What holds on every device (docs/gpu.md, "What is reproducible"):
// - The Philox words are core::Rng's, bit for bit: integer tensor ops are exact everywhere.
// - A normal is Rng::normal's formula in double, cast to float32. Its log, cos and sqrt are the
//   device's: glibc's on the host's Rng, ATen's vectorised ones (Sleef, within 1 ulp) on the CPU,
//   libdevice's (within 2 ulp) on CUDA. The float32 normals therefore agree with
//   static_cast<float>(rng.normal()) except where the double lands within those ulps of a
//   rounding boundary between two floats: at most 4 normals in 2^29 (7.5e-9) on CUDA, fewer in
//   practice (docs/gpu.md); TensorRng.NormalsAreRngNormalBitForBit finds none in 4 million on
//   the CPU.
#pragma once
#include <torch/torch.h>

#include <array>
#include <vector>

#include "core/rng.hpp"

namespace slift::learner {

// Philox4x32-10 words: four int64 tensors of values in [0, 2^32), word w of a block in [w].
using PhiloxWords = std::array<torch::Tensor, 4>;

// The key of a set of draws: its two words as int64 tensors that broadcast to the counters' shape.
// From an Rng::Key, 0-d CPU tensors: a host constant, which any device reads as a scalar (a CUDA
// graph records it as one).
struct PhiloxKey {
  explicit PhiloxKey(const Rng::Key& key);
  PhiloxKey(torch::Tensor k0, torch::Tensor k1) : k0(std::move(k0)), k1(std::move(k1)) {}
  torch::Tensor k0, k1;
};

// The words of Philox block `block` of stream `stream` under `key`, as core::Rng computes them:
// block and stream are int64 tensors on one device holding the 64-bit counters' bits; they
// broadcast together.
PhiloxWords philox(const PhiloxKey& key, const torch::Tensor& block, const torch::Tensor& stream);

// Rng::normal of each block (Box-Muller on its two 53-bit uniforms, in double), as float32.
torch::Tensor normal(const PhiloxWords& w);

// A uniform integer in [0, n) from each block's first 64 bits x: floor(x n / 2^64), exactly (the
// multiply-shift without Rng::below's rejection, which a fixed-shape tensor op cannot repeat: off
// from uniform by under n / 2^64). 0 < n < 2^31.
torch::Tensor below(const PhiloxWords& w, int64_t n);

// n x d standard normals on `device`, row r the next d from rngs[r], which advance past them: what
// d calls of rngs[r].normal() give (each stream must stand at a whole block, as one that drew only
// normals does).
torch::Tensor normals(std::vector<Rng>& rngs, int64_t d, const torch::Device& device);

}  // namespace slift::learner
