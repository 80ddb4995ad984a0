// The UNet backbone for fields (paper appendix E): the same network serves Stochastic Lifting
// (conditioned on the label z), the deterministic baseline (no conditioning) and the ARDM
// baseline (conditioned on the embedded diffusion time, noisy target as an extra channel).
//
//   stem 3x3 conv -> per level: `blocks` residual blocks, then a stride-2 3x3 conv down (not
//   after the last level) -> per level back up: nearest x2 + 3x3 conv, concatenation with the
//   encoder's features of that level, `blocks` residual blocks -> GroupNorm, SiLU, 3x3 conv to
//   one channel.
// Residual block: GroupNorm(8) -> SiLU -> 3x3 conv -> GroupNorm(8) -> modulation -> SiLU ->
// 3x3 conv, plus the input (through a 1x1 conv when the widths differ). The conditioning vector
// goes through a 2-layer MLP (Linear, SiLU, Linear) once; every block projects it to a
// per-channel scale and shift (`film`: h * (1 + scale) + shift) or a shift only (`shift`).
// Convolutions pad circularly for periodic data (the wave) and with zeros otherwise (walls).
#pragma once
#include <torch/torch.h>

#include <vector>

#include "learner/unet_spec.hpp"

namespace slift::learner {

// x (b x c x nx x ny) with its last p rows and columns copied before the first and its first p
// after the last (periodic boundaries), as one autograd operation whose backward adds the copies'
// gradients into the centre in place.
torch::Tensor periodic_pad(const torch::Tensor& x, int64_t p);

// The UNet's GroupNorm in x's dtype: float32 as LibTorch's module; under bfloat16 autocast in
// bfloat16 (statistics accumulated in float32 by the kernel), so that the chain norm -> FiLM ->
// SiLU -> padding between two convolutions stays in the compute dtype.
torch::Tensor normalise(torch::nn::GroupNorm& norm, const torch::Tensor& x);
// FiLM, h (1 + scale) + shift, in h's dtype.
torch::Tensor modulate(const torch::Tensor& h, const torch::Tensor& scale, const torch::Tensor& shift);

// A convolution of the UNet on x: periodic data wrapped around first (the convolutions of
// periodic data have no padding of their own), walls zero-padded by the convolution.
torch::Tensor convolve(torch::nn::Conv2d& conv, const torch::Tensor& x, bool periodic);

// The same as convolve(conv, cat(x, c broadcast over the grid), periodic), for c: b x k (the
// label channels, the last k input channels), without convolving the k constant channels per sample.
torch::Tensor convolve_with_constant_channels(torch::nn::Conv2d& conv, const torch::Tensor& x, const torch::Tensor& c,
                                              bool periodic);

struct ResBlockImpl : torch::nn::Module {
  ResBlockImpl(int64_t in, int64_t out, const UNetSpec& spec);
  // emb: the conditioning MLP's output (b x embed_dim), undefined when unconditioned.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
  torch::nn::Linear modulation{nullptr};
  bool film = true, periodic = false;
};
TORCH_MODULE(ResBlock);

struct UNetImpl : torch::nn::Module {
  explicit UNetImpl(const UNetSpec& spec);
  // x: b x (in_channels - label_channels) x nx x ny; cond: b x cond_dim (undefined when cond_dim is 0).
  // Returns b x 1 x nx x ny.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cond = {});
  UNetSpec spec;
  torch::nn::Sequential embed{nullptr};
  torch::nn::Conv2d stem{nullptr}, head{nullptr};
  torch::nn::GroupNorm head_norm{nullptr};
  std::vector<std::vector<ResBlock>> down_blocks, up_blocks;  // [level][block]
  std::vector<torch::nn::Conv2d> downs, ups;                   // between levels
};
TORCH_MODULE(UNet);


}  // namespace slift::learner
