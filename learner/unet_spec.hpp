// The UNet's shape, torch-free: what the network of a model is (learner/unet.hpp builds it) and
// what one forward pass costs, for the learner and for the pipeline's estimate alike.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "learner/options.hpp"

namespace slift::learner {

struct UNetSpec {
  int64_t in_channels = 3;               // stem input: Markov window (+1 noisy target for ARDM) + label_channels + static fields
  std::vector<int64_t> widths{32, 64, 128};  // channels per level, multiples of 8
  int64_t blocks = 1;                    // residual blocks per level (each way)
  int64_t cond_dim = 0;                  // label dim or time-embedding dim; 0: unconditioned
  int64_t embed_dim = 256;               // width of the conditioning MLP
  bool film = true;                      // false: shift-only modulation
  // Per spatial axis, in the order of the data's trailing dimensions (1, 2 or 3 of them): true wraps
  // the axis around (periodic), false pads it with zeros (walls, open boundaries). From the data.
  std::vector<bool> periodic{false, false};
  // The conditioning vector also as this many constant input channels (SL label_channels: the
  // label dim; 0: FiLM only). Counted in in_channels.
  int64_t label_channels = 0;
  // The grid side must be divisible by this (one halving per level below the first).
  int64_t grid_multiple() const { return int64_t(1) << (widths.size() - 1); }
  int64_t dims() const { return static_cast<int64_t>(periodic.size()); }  // spatial axes
};

// The UNet of `model` (a row of model_kinds()) with these settings, on a grid whose axes are
// periodic or not (one flag per axis).
UNetSpec unet_spec(const std::string& model, const TrainOptions& options, std::vector<bool> periodic);
// The same on a 2-D grid whose two axes are alike.
UNetSpec unet_spec(const std::string& model, const TrainOptions& options, bool periodic);

// Floating-point operations of one forward pass of one sample on a grid of these sizes (1-3 axes;
// the network's convolutions span as many, whatever spec.periodic says): 2 per
// multiply-add of every convolution and linear layer (the conditioning MLP, each block's
// modulation, 1x1 skips and the constant label channels' product included), as PyTorch's
// FlopCounterMode counts; GroupNorm, activations, FiLM, padding, upsampling and additions are
// left out (memory-bound, a few percent of the arithmetic). A training step costs about 3x the
// forward per sample (the backward 2x: gradients of the activations and of the weights).
double forward_flops(const UNetSpec& spec, const std::vector<int64_t>& grid);
double forward_flops(const UNetSpec& spec, int64_t nx, int64_t ny);  // an nx x ny grid

}  // namespace slift::learner
