#include "learner/unet.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "learner/model.hpp"

namespace slift::learner {
namespace {

namespace F = torch::nn::functional;

// Along each axis with a padding p, the last p cells before the first and the first p after the
// last: the periodic domain stays seamless, with no artificial boundary at the edges. One operation
// with its own backward: autograd through concatenations (or Conv2d's circular mode) copies the
// tensor twice forward and, backward, fills a full-size zero tensor for every narrow and sums them:
// most of a bfloat16 step's memory traffic on a GPU (issue 23). Both directions here touch each
// element once per padded axis.
struct PeriodicPad : torch::autograd::Function<PeriodicPad> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, std::vector<int64_t> pads) {
    const int64_t first = x.dim() - static_cast<int64_t>(pads.size());  // the first spatial axis
    auto sizes = x.sizes().vec();
    for (size_t a = 0; a < pads.size(); ++a) sizes[first + a] += 2 * pads[a];
    auto out = torch::empty(sizes, x.options().memory_format(x.suggest_memory_format()));
    // The input in the centre, then the strips axis by axis from the last, as nested
    // concatenations would build them: axis a's strips span the axes after it whole (corners
    // included) and the axes before it where the input lies.
    auto centre = out;
    for (size_t a = 0; a < pads.size(); ++a) centre = centre.narrow(first + a, pads[a], x.size(first + a));
    centre.copy_(x);
    for (size_t a = pads.size(); a-- > 0;) {
      const int64_t p = pads[a], n = x.size(first + a), d = first + a;
      if (p == 0) continue;
      auto band = out;
      for (size_t b = 0; b < a; ++b) band = band.narrow(first + b, pads[b], x.size(first + b));
      band.narrow(d, 0, p).copy_(band.narrow(d, n, p));      // the last cells before the first
      band.narrow(d, n + p, p).copy_(band.narrow(d, p, p));  // the first after the last
    }
    ctx->saved_data["pads"] = std::move(pads);
    return out;
  }

  // Folds the axes' strips into the centre from the first axis on: each input element's gradient
  // sums its copies' gradients in the order autograd through the nested concatenations did (for
  // two axes: (centre + row copy) + (column copy + corner)), the same bits.
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto pads = ctx->saved_data["pads"].toIntVector();
    torch::Tensor g = grads[0];
    const int64_t first = g.dim() - static_cast<int64_t>(pads.size());
    for (size_t a = 0; a < pads.size(); ++a) {
      const int64_t p = pads[a], d = first + static_cast<int64_t>(a), n = g.size(d) - 2 * p;
      if (p == 0) continue;
      auto folded = g.narrow(d, p, n).clone();
      folded.narrow(d, n - p, p).add_(g.narrow(d, 0, p));
      folded.narrow(d, 0, p).add_(g.narrow(d, n + p, p));
      g = folded;
    }
    return {g, torch::Tensor()};
  }
};

// torch::conv1d, conv2d or conv3d by the weight's dimensions: the ops LibTorch's ConvNd modules call.
torch::Tensor conv_nd(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, int64_t stride,
                      const std::vector<int64_t>& padding) {
  const std::vector<int64_t> strides(padding.size(), stride), dilation(padding.size(), 1);
  switch (w.dim()) {
    case 3: return torch::conv1d(x, w, b, strides, padding, dilation);
    case 4: return torch::conv2d(x, w, b, strides, padding, dilation);
    default: return torch::conv3d(x, w, b, strides, padding, dilation);
  }
}

// A fresh convolution's weight and bias as LibTorch's module of that dimension draws them.
template <typename Module, typename Options>
std::pair<torch::Tensor, torch::Tensor> drawn_by(int64_t in, int64_t out, int64_t kernel) {
  Module m(Options(in, out, kernel));
  return {m->weight, m->bias};
}

torch::nn::GroupNorm group_norm(int64_t channels) {
  if (channels % 8) usage_error("UNet widths must be multiples of 8 (GroupNorm(8)), got " + std::to_string(channels));
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, channels));
}

// bfloat16 or half: autocast's compute types.
bool reduced_precision(const torch::Tensor& t) {
  return t.scalar_type() == torch::kBFloat16 || t.scalar_type() == torch::kHalf;
}

}  // namespace

torch::Tensor periodic_pad(const torch::Tensor& x, const std::vector<int64_t>& pads) {
  SLIFT_ASSERT(!pads.empty() && static_cast<int64_t>(pads.size()) + 2 <= x.dim(), "periodic_pad: one padding per spatial axis");
  if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) return x;
  return PeriodicPad::apply(x, pads);
}

torch::Tensor periodic_pad(const torch::Tensor& x, int64_t p) { return periodic_pad(x, std::vector<int64_t>(x.dim() - 2, p)); }

torch::Tensor normalise(torch::nn::GroupNorm& norm, const torch::Tensor& x) {
  if (!reduced_precision(x)) return norm(x);
  // Autocast would run it in float32 (CUDA casts group_norm up; CPU autocast passes it to a kernel
  // that refuses bfloat16 input with float32 weights), and everything after it up to the next
  // convolution would stay float32. The kernels accumulate the statistics in float32 themselves.
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  const auto& o = norm->options;
  return torch::group_norm(x, o.num_groups(), norm->weight.to(x.scalar_type()), norm->bias.to(x.scalar_type()), o.eps());
}

torch::Tensor modulate(const torch::Tensor& h, const torch::Tensor& scale, const torch::Tensor& shift) {
  if (!reduced_precision(h)) return h * (1 + scale) + shift;
  // In bfloat16, 1 + scale would round scale to steps of 2^-7: h + h scale keeps its precision.
  return torch::addcmul(h, h, scale) + shift;
}

// The parameters come from LibTorch's Conv1d/2d/3d (kaiming-uniform weights, then uniform biases),
// so that a 2-D network has exactly the parameters it had when it was built of torch::nn::Conv2d:
// the same names, shapes, order and values from the same seed, hence the same model files. The
// module is ours so that one type serves every dimension and carries its axes' paddings.
ConvImpl::ConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride_, const std::vector<bool>& periodic)
    : stride(stride_) {
  for (const bool p : periodic) wrap.push_back(p ? kernel / 2 : 0), zeros.push_back(p ? 0 : kernel / 2);
  std::pair<torch::Tensor, torch::Tensor> drawn;
  switch (periodic.size()) {
    case 1: drawn = drawn_by<torch::nn::Conv1d, torch::nn::Conv1dOptions>(in, out, kernel); break;
    case 2: drawn = drawn_by<torch::nn::Conv2d, torch::nn::Conv2dOptions>(in, out, kernel); break;
    case 3: drawn = drawn_by<torch::nn::Conv3d, torch::nn::Conv3dOptions>(in, out, kernel); break;
    default: usage_error("the UNet takes 1, 2 or 3 spatial axes, not " + std::to_string(periodic.size()));
  }
  weight = register_parameter("weight", drawn.first);
  bias = register_parameter("bias", drawn.second);
}

torch::Tensor ConvImpl::forward(const torch::Tensor& x) { return conv_nd(periodic_pad(x, wrap), weight, bias, stride, zeros); }

torch::Tensor convolve_with_constant_channels(Conv& conv, const torch::Tensor& x, const torch::Tensor& c) {
  // A channel that is c_j everywhere contributes c_j times the response of its kernel to a
  // channel of ones (zero padding included), a map M_j shared by the whole batch: so the constant
  // channels cost one k-by-(out cells) product per sample instead of a k-channel convolution
  // (18% of the SL UNet's work with 64 label channels, the reason SL sampled slower than K = 1).
  const auto& weight = conv->weight;
  const int64_t out = weight.size(0), k = c.size(1), frames = weight.size(1) - k;
  SLIFT_ASSERT(x.size(1) == frames, "constant channels: input and kernel channels differ");
  const auto h = conv_nd(periodic_pad(x, conv->wrap), weight.narrow(1, 0, frames), conv->bias, conv->stride, conv->zeros);
  // The kernels of the constant channels, one output each, on one channel of ones.
  auto kernel_shape = weight.sizes().vec(), ones_shape = x.sizes().vec(), maps_shape = h.sizes().vec();
  kernel_shape[0] = out * k, kernel_shape[1] = 1;
  ones_shape[0] = ones_shape[1] = 1;
  maps_shape[0] = out, maps_shape[1] = k;
  const auto ones = periodic_pad(torch::ones(ones_shape, x.options()), conv->wrap);
  const auto maps = conv_nd(ones, weight.narrow(1, frames, k).reshape(kernel_shape), torch::Tensor(), conv->stride, conv->zeros)
                        .view(maps_shape);
  return h + linear(c, maps.movedim(1, -1).reshape({-1, k}), torch::Tensor()).view(h.sizes());
}

ResBlockImpl::ResBlockImpl(int64_t in, int64_t out, const UNetSpec& spec) : film(spec.film) {
  norm1 = register_module("norm1", group_norm(in));
  conv1 = register_module("conv1", Conv(in, out, 3, 1, spec.periodic));
  norm2 = register_module("norm2", group_norm(out));
  conv2 = register_module("conv2", Conv(out, out, 3, 1, spec.periodic));
  if (in != out) skip = register_module("skip", Conv(in, out, 1, 1, spec.periodic));
  if (spec.cond_dim > 0)
    modulation = register_module("modulation", torch::nn::Linear(spec.embed_dim, film ? 2 * out : out));
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
  torch::Tensor h = conv1(torch::silu(normalise(norm1, x)));
  h = normalise(norm2, h);
  if (modulation) {
    torch::Tensor m = modulation(emb);
    for (int64_t a = 2; a < x.dim(); ++a) m = m.unsqueeze(-1);  // b x c x 1 (x 1 (x 1))
    if (film) {
      auto ss = m.chunk(2, 1);
      h = modulate(h, ss[0], ss[1]);
    } else {
      h = h + m;
    }
  }
  h = conv2(torch::silu(h));
  return (skip ? skip(x) : x) + h;
}

UNetImpl::UNetImpl(const UNetSpec& s) : spec(s) {
  if (spec.widths.empty()) usage_error("the UNet needs at least one level");
  if (spec.cond_dim > 0)
    embed = register_module("embed", torch::nn::Sequential(torch::nn::Linear(spec.cond_dim, spec.embed_dim),
                                                           torch::nn::SiLU(),
                                                           torch::nn::Linear(spec.embed_dim, spec.embed_dim)));
  const auto& w = spec.widths;
  const size_t levels = w.size();
  stem = register_module("stem", Conv(spec.in_channels, w[0], 3, 1, spec.periodic));
  int64_t ch = w[0];
  down_blocks.resize(levels), up_blocks.resize(levels);
  for (size_t l = 0; l < levels; ++l) {
    for (int64_t b = 0; b < spec.blocks; ++b) {
      down_blocks[l].push_back(register_module("down" + std::to_string(l) + "_" + std::to_string(b), ResBlock(ch, w[l], spec)));
      ch = w[l];
    }
    if (l + 1 < levels) downs.push_back(register_module("downsample" + std::to_string(l), Conv(ch, ch, 3, 2, spec.periodic)));
  }
  for (size_t l = levels - 1; l-- > 0;) {
    ups.push_back(register_module("upsample" + std::to_string(l), Conv(ch, w[l], 3, 1, spec.periodic)));
    ch = 2 * w[l];  // after concatenation with the encoder's features
    for (int64_t b = 0; b < spec.blocks; ++b) {
      up_blocks[l].push_back(register_module("up" + std::to_string(l) + "_" + std::to_string(b), ResBlock(ch, w[l], spec)));
      ch = w[l];
    }
  }
  head_norm = register_module("head_norm", group_norm(ch));
  head = register_module("head", Conv(ch, 1, 3, 1, spec.periodic));
}

torch::Tensor UNetImpl::forward(const torch::Tensor& x, const torch::Tensor& cond) {
  const int64_t m = spec.grid_multiple(), frames = spec.in_channels - spec.label_channels, d = spec.dims();
  bool fits = x.dim() == d + 2 && x.size(1) == frames;
  for (int64_t a = 2; fits && a < x.dim(); ++a) fits = x.size(a) % m == 0;
  if (!fits)
    usage_error("UNet input must be b x " + std::to_string(frames) + " x " + std::to_string(d) +
                " spatial axes, each a multiple of " + std::to_string(m));
  if ((spec.cond_dim > 0) != cond.defined() || (cond.defined() && cond.size(-1) != spec.cond_dim))
    usage_error("UNet conditioning must be b x " + std::to_string(spec.cond_dim) + (spec.cond_dim ? "" : " (none)"));
  torch::Tensor emb = embed ? torch::silu(embed->forward(cond)) : torch::Tensor();
  const size_t levels = spec.widths.size();
  torch::Tensor h;
  if (spec.label_channels > 0)  // the label broadcast over the grid, after the frames
    h = convolve_with_constant_channels(stem, x, cond);
  else
    h = stem(x);
  std::vector<torch::Tensor> skips;
  for (size_t l = 0; l < levels; ++l) {
    for (auto& b : down_blocks[l]) h = b(h, emb);
    if (l + 1 < levels) {
      skips.push_back(h);
      h = downs[l](h);
    }
  }
  for (size_t l = levels - 1, u = 0; l-- > 0; ++u) {
    h = F::interpolate(h, F::InterpolateFuncOptions().scale_factor(std::vector<double>(d, 2)).mode(torch::kNearest));
    h = torch::cat({ups[u](h), skips[l]}, 1);
    for (auto& b : up_blocks[l]) h = b(h, emb);
  }
  return head(torch::silu(normalise(head_norm, h)));
}

}  // namespace slift::learner
