// Models out (learner/export.hpp): the network, its normalisation and slift's label stream as a
// TorchScript module built here, in C++: the trained tensors become its parameters and buffers,
// and its methods are TorchScript source that mirrors learner::step, Mlp, UNet and core::Rng op
// for op (the same ATen calls in the same order, so the same LibTorch gives the same bits;
// tests/export/test_export.cpp holds it to that). The building blocks are written once below;
// only `net`, the wiring of one network's layers, is generated from the model's spec.
#include "learner/export.hpp"

#include <torch/script.h>

#include <map>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "learner/model.hpp"

namespace slift::learner {
namespace {

// The purpose `slift sample` keys its label streams with (learner/sample.cpp).
constexpr const char* kSamplePurpose = "learner.sample";

// learner::step and sample_model's rollout. Shapes are checked where a user's tensors come in.
constexpr const char* kStepSource = R"JIT(
def forward(self, window: Tensor, z: Tensor, statics: Optional[Tensor] = None) -> Tensor:
    b = window.size(0)
    assert window.dim() >= 2 and window.size(1) == self.window and window.numel() == b * self.window * self.dim, "window must be b x window x state_shape"
    assert z.dim() == 2 and z.size(0) == b and z.size(1) == self.label_dim, "z must be b x label_dim"
    out = self.step(window.reshape(b, self.window * self.dim).float(), z.float(), self.static_rows(statics, b))
    return out.reshape([b] + self.state_shape)

def rollout(self, x0: Tensor, steps: int, seed: int, first: int = 0, statics: Optional[Tensor] = None) -> Tensor:
    b = x0.size(0)
    assert x0.numel() == b * self.dim, "x0 must be b x state_shape"
    assert steps >= 0, "steps must be >= 0"
    assert not self.direct or steps <= 1, "a direct-map model (target final) takes one step: frame 0 to the last frame"
    x = x0.reshape(b, self.dim).float()
    rows = self.static_rows(statics, b)
    windows = x.repeat(1, self.window)
    frames = [x]
    for t in range(steps):
        x = self.step(windows, self.labels(seed, first, b, t).to(x.device), rows)
        frames.append(x)
        if self.window > 1:
            windows = torch.cat([windows[:, self.dim:], x], 1)
        else:
            windows = x
    return torch.stack(frames, 1).reshape([b, steps + 1] + self.state_shape)

def step(self, windows: Tensor, z: Tensor, statics: Optional[Tensor]) -> Tensor:
    x = (windows - self.in_mean.repeat(self.window)) / self.in_std.repeat(self.window)
    if statics is not None:
        x = torch.cat([x, (statics - self.static_mean) / self.static_std], 1)
    return self.prediction_base(windows) + self.net(x, z) * self.out_scale

def static_rows(self, statics: Optional[Tensor], b: int) -> Optional[Tensor]:
    if len(self.condition_on) == 0:
        assert statics is None, "this model takes no static fields"
        return None
    assert statics is not None, "statics must be given: b x len(condition_on) x state_shape, the raw static fields"
    assert statics.numel() == b * len(self.condition_on) * self.dim, "statics must be b x len(condition_on) x state_shape"
    return statics.reshape(b, len(self.condition_on) * self.dim).float()

def prediction_base(self, windows: Tensor) -> Tensor:
    current = windows[:, (self.window - 1) * self.dim:]
    if not self.extrapolate:
        return current
    return 2 * current - windows[:, (self.window - 2) * self.dim:(self.window - 1) * self.dim]

def linear(self, x: Tensor, w: Tensor, b: Optional[Tensor]) -> Tensor:
    if self.use_mkldnn and x.dim() == 2 and x.device.type == "cpu" and w.device.type == "cpu":
        return torch.mkldnn_linear(x.contiguous().to_mkldnn(), w, b).to_dense()
    return torch.linear(x, w, b)
)JIT";

// core::Rng: Philox4x32-10 keyed by (seed, purpose) with counter (block, stream); a standard
// normal is Box-Muller on the two 53-bit uniforms of one 4-word block, in double. Label j of
// draw t for trajectory s is normal number t label_dim + j of stream s. 32-bit words live in
// int64 tensors; a product is split at 16 bits so that none exceeds 2^49. Constants in decimal:
// 4294967295 = 0xFFFFFFFF, 65535 = 0xFFFF, key bumps 0x9E3779B9 and 0xBB67AE85, multipliers
// 0xD2511F53 and 0xCD9E8D57, 1.1102230246251565e-16 = 2^-53, 6.283185307179586 = 2 pi.
constexpr const char* kRngSource = R"JIT(
def labels(self, seed: int, first: int, n: int, draw: int) -> Tensor:
    d = self.label_dim
    block = (torch.arange(d) + draw * d).unsqueeze(0).expand(n, d)
    stream = (torch.arange(n) + first).unsqueeze(1).expand(n, d)
    k0 = (seed & 4294967295) ^ self.purpose_mix
    k1 = ((seed >> 32) & 4294967295) ^ self.purpose
    w = self.philox([block & 4294967295, block >> 32, stream & 4294967295, stream >> 32], k0, k1)
    u1 = (((w[0] << 21) + (w[1] >> 11)).double() + 0.5) * 1.1102230246251565e-16
    u2 = (((w[2] << 21) + (w[3] >> 11)).double() + 0.5) * 1.1102230246251565e-16
    return (torch.sqrt(torch.log(u1) * -2.0) * torch.cos(u2 * 6.283185307179586)).float()

def philox(self, c: List[Tensor], k0: int, k1: int) -> List[Tensor]:
    c0, c1, c2, c3 = c[0], c[1], c[2], c[3]
    for r in range(10):
        if r > 0:
            k0 = (k0 + 2654435769) & 4294967295
            k1 = (k1 + 3144134277) & 4294967295
        hi0, lo0 = self.mulhilo(c0, 3528531795)
        hi1, lo1 = self.mulhilo(c2, 3449720151)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return [c0, c1, c2, c3]

def mulhilo(self, a: Tensor, m: int) -> Tuple[Tensor, Tensor]:
    high = (a >> 16) * m
    low = (a & 65535) * m + ((high & 65535) << 16)
    return (high >> 16) + (low >> 32), low & 4294967295
)JIT";

// learner/unet.cpp: periodic_pad (as `wrap`), Conv (as `convolve`), convolve_with_constant_channels and
// ResBlockImpl::forward (GroupNorm(8), eps 1e-5; the modulation through the plain linear layer, as
// nn::Linear), on 1, 2 or 3 spatial axes: `periodic` has a flag per axis.
constexpr const char* kUnetSource = R"JIT(
def wrap(self, x: Tensor, p: int) -> Tensor:
    if p == 0:
        return x
    for a in range(len(self.periodic) - 1, -1, -1):
        if self.periodic[a]:
            n = x.size(a + 2)
            x = torch.cat([x.narrow(a + 2, n - p, p), x, x.narrow(a + 2, 0, p)], a + 2)
    return x

def conv(self, x: Tensor, w: Tensor, b: Optional[Tensor], stride: int, p: int) -> Tensor:
    pad: List[int] = []
    for periodic in self.periodic:
        pad.append(0 if periodic else p)
    x = self.wrap(x, p)
    if len(pad) == 1:
        return torch.conv1d(x, w, b, [stride], pad)
    if len(pad) == 2:
        return torch.conv2d(x, w, b, [stride, stride], pad)
    return torch.conv3d(x, w, b, [stride, stride, stride], pad)

def convolve(self, x: Tensor, w: Tensor, b: Tensor, stride: int) -> Tensor:
    return self.conv(x, w, b, stride, w.size(2) // 2)

def convolve_with_constant_channels(self, x: Tensor, c: Tensor, w: Tensor, b: Tensor) -> Tensor:
    out = w.size(0)
    k = c.size(1)
    frames = w.size(1) - k
    p = w.size(2) // 2
    ones = torch.ones([1, 1] + x.shape[2:], dtype=x.dtype, device=x.device)
    h = self.conv(x, w[:, :frames], b, 1, p)
    kernels = w[:, frames:].reshape([out * k, 1] + w.shape[2:])
    maps = self.conv(ones, kernels, None, 1, p).view([out, k] + h.shape[2:])
    return h + self.linear(c, maps.movedim(1, -1).reshape(-1, k), None).view(h.size())

def res_block(self, x: Tensor, emb: Optional[Tensor], norm1_w: Tensor, norm1_b: Tensor, conv1_w: Tensor, conv1_b: Tensor, norm2_w: Tensor, norm2_b: Tensor, conv2_w: Tensor, conv2_b: Tensor, skip_w: Optional[Tensor], skip_b: Optional[Tensor], modulation_w: Optional[Tensor], modulation_b: Optional[Tensor]) -> Tensor:
    h = self.convolve(torch.silu(torch.group_norm(x, 8, norm1_w, norm1_b, 1e-05, True)), conv1_w, conv1_b, 1)
    h = torch.group_norm(h, 8, norm2_w, norm2_b, 1e-05, True)
    if emb is not None and modulation_w is not None:
        m = torch.linear(emb, modulation_w, modulation_b)
        for _ in range(len(self.periodic)):
            m = m.unsqueeze(-1)
        if self.film:
            ss = m.chunk(2, 1)
            h = h * (1 + ss[0]) + ss[1]
        else:
            h = h + m
    h = self.convolve(torch.silu(h), conv2_w, conv2_b, 1)
    if skip_w is not None and skip_b is not None:
        return self.convolve(x, skip_w, skip_b, 1) + h
    return x + h
)JIT";

// A parameter's TorchScript name: slift's name with '.' as '_' (down0_0.norm1.weight -> down0_0_norm1_weight).
std::string script_name(std::string name) {
  for (char& c : name)
    if (c == '.') c = '_';
  return name;
}

// `net(x, cond)` of an MLP: MlpImpl::forward on Net::forward's input (the label appended).
std::string mlp_source(const ModelSpec& spec) {
  const std::map<std::string, std::string> activations{
      {"silu", "torch.silu"}, {"relu", "torch.relu"}, {"gelu", "torch.gelu"}, {"tanh", "torch.tanh"}};
  std::ostringstream s;
  s << "def net(self, x: Tensor, cond: Tensor) -> Tensor:\n";
  if (spec.label_dim() > 0) s << "    x = torch.cat([x, cond], 1)\n";
  for (int64_t i = 0; i <= spec.options.depth; ++i) {  // Sequential: linear layers at even indices
    const std::string layer = "self.layers_" + std::to_string(2 * i);
    const std::string y = "self.linear(x, " + layer + "_weight, " + layer + "_bias)";
    if (i < spec.options.depth)
      s << "    x = " << activations.at(spec.options.activation) << "(" << y << ")\n";
    else
      s << "    return " << y << "\n";
  }
  return s.str();
}

// `net(x, cond)` of a UNet: Net::forward's reshape and UNetImpl::forward, level by level.
std::string unet_source(const ModelSpec& spec, const std::map<std::string, bool>& has) {
  const UNetSpec u = spec.unet_spec();
  auto p = [](const std::string& name) { return "self." + name; };
  auto optional = [&](const std::string& name) { return has.count(name) ? p(name) : std::string("None"); };
  auto block = [&](const std::string& b) {
    std::string args;
    for (const char* part : {"norm1", "conv1", "norm2", "conv2"})
      for (const char* t : {"_weight", "_bias"}) args += ", " + p(b + "_" + part + t);
    for (const char* part : {"skip", "modulation"})
      for (const char* t : {"_weight", "_bias"}) args += ", " + optional(b + "_" + part + t);
    return "    h = self.res_block(h, emb" + args + ")\n";
  };
  std::string grid, twos;
  for (const int64_t n : spec.grid) grid += ", " + std::to_string(n), twos += std::string(twos.empty() ? "" : ", ") + "2.0";
  std::ostringstream s;
  s << "def net(self, x: Tensor, cond: Tensor) -> Tensor:\n"
    << "    b = x.size(0)\n"
    << "    h = x.reshape(b, " << spec.window() + static_cast<int64_t>(spec.options.condition_on.size()) << grid << ")\n";
  if (u.cond_dim > 0)
    s << "    emb: Optional[Tensor] = torch.silu(torch.linear(torch.silu(torch.linear(cond, self.embed_0_weight, "
         "self.embed_0_bias)), self.embed_2_weight, self.embed_2_bias))\n";
  else
    s << "    emb: Optional[Tensor] = None\n";
  if (u.label_channels > 0)
    s << "    h = self.convolve_with_constant_channels(h, cond, self.stem_weight, self.stem_bias)\n";
  else
    s << "    h = self.convolve(h, self.stem_weight, self.stem_bias, 1)\n";
  const size_t levels = u.widths.size();
  for (size_t l = 0; l < levels; ++l) {
    for (int64_t b = 0; b < u.blocks; ++b) s << block("down" + std::to_string(l) + "_" + std::to_string(b));
    if (l + 1 < levels) {
      const std::string down = "downsample" + std::to_string(l);
      s << "    skip" << l << " = h\n"
        << "    h = self.convolve(h, " << p(down + "_weight") << ", " << p(down + "_bias") << ", 2)\n";
    }
  }
  for (size_t l = levels - 1; l-- > 0;) {
    const std::string up = "upsample" + std::to_string(l);
    s << "    h = torch.upsample_nearest" << spec.grid.size() << "d(h, None, [" << twos << "])\n"
      << "    h = torch.cat([self.convolve(h, " << p(up + "_weight") << ", " << p(up + "_bias") << ", 1), skip" << l
      << "], 1)\n";
    for (int64_t b = 0; b < u.blocks; ++b) s << block("up" + std::to_string(l) + "_" + std::to_string(b));
  }
  s << "    h = self.convolve(torch.silu(torch.group_norm(h, 8, self.head_norm_weight, self.head_norm_bias, 1e-05, "
       "True)), self.head_weight, self.head_bias, 1)\n"
    << "    return h.reshape(b, " << spec.dim << ")\n";
  return s.str();
}

torch::Tensor vector_tensor(const std::vector<float>& v) { return to_tensor(v, {static_cast<int64_t>(v.size())}); }

}  // namespace

void export_model(const std::string& model_path, const std::string& out_path) {
  auto m = load_model(model_path);
  const ModelSpec& spec = m.spec;
  if (spec.kind().diffusion)
    usage_error(model_path + ": an ARDM is not exported (its sampler takes K network evaluations per frame); "
                "export a model without diffusion");
  torch::NoGradGuard no_grad;
  torch::jit::Module module("slift_model");
  std::map<std::string, bool> has;
  for (const auto& item : m.net.module()->named_parameters()) {
    const std::string name = script_name(item.key());
    module.register_parameter(name, item.value().detach().clone(), /*is_buffer=*/false);
    has[name] = true;
  }
  module.register_buffer("in_mean", vector_tensor(m.norm.in_mean));
  module.register_buffer("in_std", vector_tensor(m.norm.in_std));
  module.register_buffer("out_scale", vector_tensor(m.norm.out_scale));
  // The static fields' normalisation per value (each field's mean and std repeated over its cells).
  std::vector<float> static_mean, static_std;
  for (size_t f = 0; f < spec.options.condition_on.size(); ++f) {
    static_mean.insert(static_mean.end(), static_cast<size_t>(spec.dim), m.static_norm.mean[f]);
    static_std.insert(static_std.end(), static_cast<size_t>(spec.dim), m.static_norm.std[f]);
  }
  module.register_buffer("static_mean", vector_tensor(static_mean));
  module.register_buffer("static_std", vector_tensor(static_std));
  const bool unet = spec.options.arch == "unet";
  auto attribute = [&](const std::string& name, const c10::TypePtr& type, const c10::IValue& value) {
    module.register_attribute(name, type, value);
  };
  attribute("model", c10::StringType::get(), spec.model);
  attribute("arch", c10::StringType::get(), spec.options.arch);
  attribute("config_yaml", c10::StringType::get(), m.config_yaml);
  attribute("dim", c10::IntType::get(), spec.dim);
  attribute("window", c10::IntType::get(), spec.window());
  attribute("label_dim", c10::IntType::get(), spec.label_dim());
  attribute("condition_on", c10::ListType::ofStrings(), c10::List<std::string>(spec.options.condition_on));
  attribute("state_shape", c10::ListType::ofInts(), unet ? spec.grid : std::vector<int64_t>{spec.dim});
  attribute("extrapolate", c10::BoolType::get(), spec.extrapolate());
  attribute("direct", c10::BoolType::get(), spec.direct());
  c10::List<bool> periodic;  // per axis (fields)
  for (const bool p : spec.periodic) periodic.push_back(p);
  attribute("periodic", c10::ListType::ofBools(), periodic);
  attribute("film", c10::BoolType::get(), spec.options.conditioning == "film");
  // learner::linear's oneDNN inner product, where this LibTorch has it (a user may switch it off).
  attribute("use_mkldnn", c10::BoolType::get(), at::hasMKLDNN());
  // core::Rng's key for (seed, kSamplePurpose): the purpose and its product with 0x9E3779B9.
  const uint32_t purpose = purpose_id(kSamplePurpose);
  attribute("purpose", c10::IntType::get(), static_cast<int64_t>(purpose));
  attribute("purpose_mix", c10::IntType::get(), static_cast<int64_t>(static_cast<uint32_t>(purpose * 0x9E3779B9u)));
  module.define(std::string(kStepSource) + kRngSource +
                (unet ? std::string(kUnetSource) + unet_source(spec, has) : mlp_source(spec)));
  module.eval();
  std::ostringstream bytes;
  module.save(bytes);
  write_file_atomic(out_path, bytes.str());
  log::info("wrote " + out_path + ": " + spec.model + " " + spec.options.arch + " as TorchScript (forward, labels, rollout)");
}

}  // namespace slift::learner
