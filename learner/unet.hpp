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

namespace slift::learner {

struct UNetSpec {
  int64_t in_channels = 3;               // stem input: Markov window (+1 noisy target for ARDM) + label_channels
  std::vector<int64_t> widths{32, 64, 128};  // channels per level, multiples of 8
  int64_t blocks = 1;                    // residual blocks per level (each way)
  int64_t cond_dim = 0;                  // label dim or time-embedding dim; 0: unconditioned
  int64_t embed_dim = 256;               // width of the conditioning MLP
  bool film = true;                      // false: shift-only modulation
  bool periodic = false;                 // set from the dataset's boundary conditions
  // The conditioning vector also as this many constant input channels (SL label_channels: the
  // label dim; 0: FiLM only). Counted in in_channels.
  int64_t label_channels = 0;
  // The grid side must be divisible by this (one halving per level below the first).
  int64_t grid_multiple() const { return int64_t(1) << (widths.size() - 1); }
};

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
