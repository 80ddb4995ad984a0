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
// The grid has 1, 2 or 3 spatial axes (kernels 3, 3^2 or 3^3); each axis is padded circularly when
// it is periodic (the wave) and with zeros otherwise (walls).
#pragma once
#include <torch/torch.h>

#include <vector>

#include "learner/unet_spec.hpp"

namespace slift::learner {

// x (b x c x n_1 x ... x n_d) with, along each spatial axis a, its last pads[a] cells copied before
// the first and its first pads[a] after the last (periodic boundaries; pads[a] = 0 leaves the axis
// as it is), as one autograd operation whose backward adds the copies' gradients into the centre in
// place. pads has one entry per spatial axis (1-3).
torch::Tensor periodic_pad(const torch::Tensor& x, const std::vector<int64_t>& pads);
// Every spatial axis by p.
torch::Tensor periodic_pad(const torch::Tensor& x, int64_t p);

// The UNet's GroupNorm in x's dtype: float32 as LibTorch's module; under bfloat16 autocast in
// bfloat16 (statistics accumulated in float32 by the kernel), so that the chain norm -> FiLM ->
// SiLU -> padding between two convolutions stays in the compute dtype.
torch::Tensor normalise(torch::nn::GroupNorm& norm, const torch::Tensor& x);
// FiLM, h (1 + scale) + shift, in h's dtype.
torch::Tensor modulate(const torch::Tensor& h, const torch::Tensor& scale, const torch::Tensor& shift);

// A convolution of the UNet over 1, 2 or 3 spatial axes (kernel^d, "same" size at stride 1) that
// pads each axis by its boundary: periodic axes wrapped around first (periodic_pad), the others
// zero-padded by the convolution. Parameters `weight` and `bias`, drawn by LibTorch's Conv1d/2d/3d
// (see unet.cpp).
struct ConvImpl : torch::nn::Module {
  ConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, const std::vector<bool>& periodic);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;
  int64_t stride = 1;
  std::vector<int64_t> wrap, zeros;  // per axis: the periodic padding, the convolution's zero padding
};
TORCH_MODULE(Conv);

// The same as conv(cat(x, c broadcast over the grid)), for c: b x k (the label channels, the last k
// input channels), without convolving the k constant channels per sample.
torch::Tensor convolve_with_constant_channels(Conv& conv, const torch::Tensor& x, const torch::Tensor& c);

struct ResBlockImpl : torch::nn::Module {
  ResBlockImpl(int64_t in, int64_t out, const UNetSpec& spec);
  // emb: the conditioning MLP's output (b x embed_dim), undefined when unconditioned.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  Conv conv1{nullptr}, conv2{nullptr}, skip{nullptr};
  torch::nn::Linear modulation{nullptr};
  bool film = true;
};
TORCH_MODULE(ResBlock);

struct UNetImpl : torch::nn::Module {
  explicit UNetImpl(const UNetSpec& spec);
  // x: b x (in_channels - label_channels) x n_1 x ... x n_d (d = spec.dims()); cond: b x cond_dim
  // (undefined when cond_dim is 0). Returns b x 1 x n_1 x ... x n_d.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cond = {});
  UNetSpec spec;
  torch::nn::Sequential embed{nullptr};
  Conv stem{nullptr}, head{nullptr};
  torch::nn::GroupNorm head_norm{nullptr};
  std::vector<std::vector<ResBlock>> down_blocks, up_blocks;  // [level][block]
  std::vector<Conv> downs, ups;                                // between levels
};
TORCH_MODULE(UNet);


}  // namespace slift::learner
