#include "learner/unet_spec.hpp"

#include <cmath>
#include <utility>

namespace slift::learner {

UNetSpec unet_spec(const std::string& model, const TrainOptions& options, std::vector<bool> periodic) {
  const ModelKind& kind = model_kind(model);
  const int64_t label_dim = kind.labels ? options.label_dim : 0;
  const NetworkInput input = network_input(model, options);
  UNetSpec u;
  u.label_channels = input.labels;
  u.in_channels = input.channels();
  u.widths = options.unet_widths;
  u.blocks = options.unet_blocks;
  u.embed_dim = options.embed_dim;
  u.film = options.conditioning == "film";
  u.periodic = std::move(periodic);
  u.cond_dim = kind.diffusion ? options.embed_dim : label_dim;
  return u;
}

UNetSpec unet_spec(const std::string& model, const TrainOptions& options, bool periodic) {
  return unet_spec(model, options, std::vector<bool>{periodic, periodic});
}

// The layers of learner/unet.cpp's UNetImpl, in the order its constructor makes them.
double forward_flops(const UNetSpec& s, const std::vector<int64_t>& grid) {
  double macs = 0;
  const auto conv = [&](double in, double out, double kernel, double pixels) {
    macs += in * out * std::pow(kernel, static_cast<double>(grid.size())) * pixels;
  };
  const auto block = [&](double in, double out, double pixels) {
    conv(in, out, 3, pixels), conv(out, out, 3, pixels);
    if (in != out) conv(in, out, 1, pixels);
    if (s.cond_dim > 0) macs += static_cast<double>(s.embed_dim) * (s.film ? 2 : 1) * out;  // modulation
  };
  const auto& w = s.widths;
  const size_t levels = w.size();
  const double embed = static_cast<double>(s.embed_dim);
  if (s.cond_dim > 0) macs += static_cast<double>(s.cond_dim) * embed + embed * embed;
  double pixels = 1;
  for (const int64_t n : grid) pixels *= static_cast<double>(n);
  const double labels = static_cast<double>(s.label_channels), frames = static_cast<double>(s.in_channels) - labels;
  conv(frames, static_cast<double>(w[0]), 3, pixels);
  macs += labels * static_cast<double>(w[0]) * pixels;  // the constant channels: one product per output value
  double ch = static_cast<double>(w[0]);
  std::vector<double> level_pixels;
  for (size_t l = 0; l < levels; ++l) {
    level_pixels.push_back(pixels);
    const double c = static_cast<double>(w[l]);
    for (int64_t b = 0; b < s.blocks; ++b) block(ch, c, pixels), ch = c;
    if (l + 1 < levels) pixels /= std::pow(2.0, static_cast<double>(grid.size())), conv(ch, ch, 3, pixels);  // stride 2
  }
  for (size_t l = levels - 1; l-- > 0;) {
    const double c = static_cast<double>(w[l]);
    conv(ch, c, 3, level_pixels[l]), ch = 2 * c;  // nearest x2, then the convolution; concatenation
    for (int64_t b = 0; b < s.blocks; ++b) block(ch, c, level_pixels[l]), ch = c;
  }
  conv(ch, 1, 3, level_pixels[0]);
  return 2 * macs;
}

double forward_flops(const UNetSpec& spec, int64_t nx, int64_t ny) { return forward_flops(spec, std::vector<int64_t>{nx, ny}); }

}  // namespace slift::learner
