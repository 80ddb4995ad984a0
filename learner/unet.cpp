#include "learner/unet.hpp"

#include <string>

#include "core/error.hpp"
#include "learner/model.hpp"

namespace slift::learner {
namespace {

namespace F = torch::nn::functional;

// Periodic data are padded by `convolve` below instead; walls get the convolution's zero padding.
torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool periodic) {
  torch::nn::Conv2dOptions o(in, out, kernel);
  o.stride(stride).padding(periodic ? 0 : kernel / 2);
  return torch::nn::Conv2d(o);
}

// The last p rows and columns before the first and the first p after the last: the periodic
// domain stays seamless, with no artificial boundary at the edges. One operation with its own
// backward: autograd through concatenations (or Conv2d's circular mode) copies the tensor twice
// forward and, backward, fills a full-size zero tensor for every narrow and sums them: most of a
// bfloat16 step's memory traffic on a GPU (issue 23). Both directions here touch each element once.
struct PeriodicPad : torch::autograd::Function<PeriodicPad> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, int64_t p) {
    ctx->saved_data["p"] = p;
    const int64_t h = x.size(2), w = x.size(3);
    auto out = torch::empty({x.size(0), x.size(1), h + 2 * p, w + 2 * p}, x.options().memory_format(x.suggest_memory_format()));
    const auto rows = out.narrow(2, p, h);  // the input's rows, with their column strips
    rows.narrow(3, p, w).copy_(x);
    rows.narrow(3, 0, p).copy_(x.narrow(3, w - p, p));
    rows.narrow(3, w + p, p).copy_(x.narrow(3, 0, p));
    out.narrow(2, 0, p).copy_(out.narrow(2, h, p));      // the last rows (corners included) on top
    out.narrow(2, h + p, p).copy_(out.narrow(2, p, p));  // the first rows below
    return out;
  }

  // Each input element's gradient sums its copies' gradients in the order autograd through the
  // two concatenations did, (centre + row copy) + (column copy + corner): the same bits.
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const int64_t p = ctx->saved_data["p"].toInt();
    const auto& g = grads[0];
    const int64_t h = g.size(2) - 2 * p, w = g.size(3) - 2 * p;
    // A band of the padded gradient's columns with its two row strips folded in: rows [0, h).
    const auto fold_rows = [&](const torch::Tensor& band, const torch::Tensor& into) {
      into.narrow(2, h - p, p).add_(band.narrow(2, 0, p));
      into.narrow(2, 0, p).add_(band.narrow(2, h + p, p));
      return into;
    };
    const auto centre = g.narrow(3, p, w);
    auto dx = fold_rows(centre, centre.narrow(2, p, h).clone());
    dx.narrow(3, w - p, p).add_(fold_rows(g.narrow(3, 0, p), g.narrow(3, 0, p).narrow(2, p, h).clone()));
    dx.narrow(3, 0, p).add_(fold_rows(g.narrow(3, w + p, p), g.narrow(3, w + p, p).narrow(2, p, h).clone()));
    return {dx, torch::Tensor()};
  }
};

torch::nn::GroupNorm group_norm(int64_t channels) {
  if (channels % 8) usage_error("UNet widths must be multiples of 8 (GroupNorm(8)), got " + std::to_string(channels));
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, channels));
}

// bfloat16 or half: autocast's compute types.
bool reduced_precision(const torch::Tensor& t) {
  return t.scalar_type() == torch::kBFloat16 || t.scalar_type() == torch::kHalf;
}

}  // namespace

torch::Tensor periodic_pad(const torch::Tensor& x, int64_t p) { return p == 0 ? x : PeriodicPad::apply(x, p); }

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

torch::Tensor convolve(torch::nn::Conv2d& c, const torch::Tensor& x, bool periodic) {
  return c(periodic ? periodic_pad(x, c->options.kernel_size()->at(0) / 2) : x);
}

torch::Tensor convolve_with_constant_channels(torch::nn::Conv2d& conv, const torch::Tensor& x, const torch::Tensor& c,
                                              bool periodic) {
  // A channel that is c_j everywhere contributes c_j times the response of its kernel to a
  // channel of ones (zero padding included), a map M_j shared by the whole batch: so the constant
  // channels cost one k-by-(out nx ny) product per sample instead of a k-channel convolution
  // (18% of the SL UNet's work with 64 label channels, the reason SL sampled slower than K = 1).
  const auto& weight = conv->weight;
  const int64_t out = weight.size(0), k = c.size(1), frames = weight.size(1) - k;
  const int64_t p = conv->options.kernel_size()->at(0) / 2;
  SLIFT_ASSERT(x.size(1) == frames, "constant channels: input and kernel channels differ");
  const auto pad_input = [&](const torch::Tensor& t) { return periodic ? periodic_pad(t, p) : t; };
  const auto options = [&] { return F::Conv2dFuncOptions().stride(conv->options.stride()).padding(periodic ? 0 : p); };
  const auto h = F::conv2d(pad_input(x), weight.narrow(1, 0, frames), options().bias(conv->bias));
  const auto kernels = weight.narrow(1, frames, k).reshape({out * k, 1, weight.size(2), weight.size(3)});
  const auto maps = F::conv2d(pad_input(torch::ones({1, 1, x.size(2), x.size(3)}, x.options())), kernels, options())
                        .view({out, k, h.size(2), h.size(3)});
  return h + linear(c, maps.permute({0, 2, 3, 1}).reshape({-1, k}), torch::Tensor()).view(h.sizes());
}

ResBlockImpl::ResBlockImpl(int64_t in, int64_t out, const UNetSpec& spec) : film(spec.film), periodic(spec.periodic) {
  norm1 = register_module("norm1", group_norm(in));
  conv1 = register_module("conv1", conv(in, out, 3, 1, spec.periodic));
  norm2 = register_module("norm2", group_norm(out));
  conv2 = register_module("conv2", conv(out, out, 3, 1, spec.periodic));
  if (in != out) skip = register_module("skip", conv(in, out, 1, 1, spec.periodic));
  if (spec.cond_dim > 0)
    modulation = register_module("modulation", torch::nn::Linear(spec.embed_dim, film ? 2 * out : out));
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
  torch::Tensor h = convolve(conv1, torch::silu(normalise(norm1, x)), periodic);
  h = normalise(norm2, h);
  if (modulation) {
    torch::Tensor m = modulation(emb).unsqueeze(-1).unsqueeze(-1);  // b x c x 1 x 1
    if (film) {
      auto ss = m.chunk(2, 1);
      h = modulate(h, ss[0], ss[1]);
    } else {
      h = h + m;
    }
  }
  h = convolve(conv2, torch::silu(h), periodic);
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
  stem = register_module("stem", conv(spec.in_channels, w[0], 3, 1, spec.periodic));
  int64_t ch = w[0];
  down_blocks.resize(levels), up_blocks.resize(levels);
  for (size_t l = 0; l < levels; ++l) {
    for (int64_t b = 0; b < spec.blocks; ++b) {
      down_blocks[l].push_back(register_module("down" + std::to_string(l) + "_" + std::to_string(b), ResBlock(ch, w[l], spec)));
      ch = w[l];
    }
    if (l + 1 < levels) downs.push_back(register_module("downsample" + std::to_string(l), conv(ch, ch, 3, 2, spec.periodic)));
  }
  for (size_t l = levels - 1; l-- > 0;) {
    ups.push_back(register_module("upsample" + std::to_string(l), conv(ch, w[l], 3, 1, spec.periodic)));
    ch = 2 * w[l];  // after concatenation with the encoder's features
    for (int64_t b = 0; b < spec.blocks; ++b) {
      up_blocks[l].push_back(register_module("up" + std::to_string(l) + "_" + std::to_string(b), ResBlock(ch, w[l], spec)));
      ch = w[l];
    }
  }
  head_norm = register_module("head_norm", group_norm(ch));
  head = register_module("head", conv(ch, 1, 3, 1, spec.periodic));
}

torch::Tensor UNetImpl::forward(const torch::Tensor& x, const torch::Tensor& cond) {
  const int64_t m = spec.grid_multiple(), frames = spec.in_channels - spec.label_channels;
  if (x.dim() != 4 || x.size(1) != frames || x.size(2) % m || x.size(3) % m)
    usage_error("UNet input must be b x " + std::to_string(frames) + " x nx x ny with nx, ny multiples of " +
                std::to_string(m));
  if ((spec.cond_dim > 0) != cond.defined() || (cond.defined() && cond.size(-1) != spec.cond_dim))
    usage_error("UNet conditioning must be b x " + std::to_string(spec.cond_dim) + (spec.cond_dim ? "" : " (none)"));
  torch::Tensor emb = embed ? torch::silu(embed->forward(cond)) : torch::Tensor();
  const size_t levels = spec.widths.size();
  torch::Tensor h;
  if (spec.label_channels > 0)  // the label broadcast over the grid, after the frames
    h = convolve_with_constant_channels(stem, x, cond, spec.periodic);
  else
    h = convolve(stem, x, spec.periodic);
  std::vector<torch::Tensor> skips;
  for (size_t l = 0; l < levels; ++l) {
    for (auto& b : down_blocks[l]) h = b(h, emb);
    if (l + 1 < levels) {
      skips.push_back(h);
      h = convolve(downs[l], h, spec.periodic);
    }
  }
  for (size_t l = levels - 1, u = 0; l-- > 0; ++u) {
    h = F::interpolate(h, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
    h = torch::cat({convolve(ups[u], h, spec.periodic), skips[l]}, 1);
    for (auto& b : up_blocks[l]) h = b(h, emb);
  }
  return convolve(head, torch::silu(normalise(head_norm, h)), spec.periodic);
}

}  // namespace slift::learner
