#include "learner/model.hpp"

#include <dlfcn.h>
#include <omp.h>

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>
#ifdef SLIFT_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>
#endif

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <numeric>
#include <optional>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/machine.hpp"
#include "learner/model_info.hpp"
#include "learner/static_channels.hpp"

namespace slift::learner {

#ifdef SLIFT_TORCH_CUDA
constexpr bool kCudaBuild = true;
#else
constexpr bool kCudaBuild = false;
#endif

// One format per architecture: MLP files keep the layout they always had.
static const char* kMlpFormat = "slift-mlp-1";
static const char* kUnetFormat = "slift-unet-1";

UNetSpec ModelSpec::unet_spec() const { return learner::unet_spec(model, options, periodic); }

// The channels-last layout of tensors of this many dimensions (batch, channels, 2 or 3 axes).
static std::optional<torch::MemoryFormat> channels_last_format(int64_t dims) {
  if (dims == 4) return torch::MemoryFormat::ChannelsLast;
  if (dims == 5) return torch::MemoryFormat::ChannelsLast3d;
  return std::nullopt;
}

Net::Net(const ModelSpec& spec) : grid(spec.grid) {
  if (spec.unet())
    unet = UNet(spec.unet_spec());
  else
    mlp = Mlp(spec);
}

std::shared_ptr<torch::nn::Module> Net::module() const {
  if (unet) return unet.ptr();
  return mlp.ptr();
}

torch::Tensor Net::forward(const torch::Tensor& x, const torch::Tensor& cond) {
  const bool conditioned = cond.defined() && cond.size(1) > 0;
  if (mlp) return mlp->forward(conditioned ? torch::cat({x, cond}, 1) : x).to(torch::kFloat32);
  const int64_t b = x.size(0), dim = std::accumulate(grid.begin(), grid.end(), int64_t(1), std::multiplies<>());
  std::vector<int64_t> shape{b, x.size(1) / dim};
  shape.insert(shape.end(), grid.begin(), grid.end());
  auto frames = x.reshape(shape);
  if (channels_last) frames = frames.contiguous(*channels_last_format(frames.dim()));
  const auto out = unet->forward(frames, conditioned ? cond : torch::Tensor());
  return out.reshape({b, dim}).to(torch::kFloat32);
}

void Net::use_channels_last() {
  const int64_t dims = static_cast<int64_t>(grid.size()) + 2;
  if (!unet || !channels_last_format(dims)) return;
  torch::NoGradGuard no_grad;
  for (auto& p : unet->parameters())
    if (p.dim() == dims) p.set_data(p.contiguous(*channels_last_format(dims)));
  channels_last = true;
}

MlpImpl::MlpImpl(const ModelSpec& spec) {
  const TrainOptions& o = spec.options;
  auto activation = [&]() -> torch::nn::AnyModule {
    if (o.activation == "silu") return torch::nn::AnyModule(torch::nn::SiLU());
    if (o.activation == "relu") return torch::nn::AnyModule(torch::nn::ReLU());
    if (o.activation == "gelu") return torch::nn::AnyModule(torch::nn::GELU());
    if (o.activation == "tanh") return torch::nn::AnyModule(torch::nn::Tanh());
    usage_error("unknown activation '" + o.activation + "'");
  };
  int64_t in = spec.input_size();
  for (int64_t i = 0; i <= o.depth; ++i) {
    linears.emplace_back(in, i < o.depth ? o.width : spec.dim);
    layers->push_back(linears.back());
    if (i == o.depth) break;
    activations.push_back(activation());
    layers->push_back(activations.back());
    in = o.width;
  }
  register_module("layers", layers);
}

torch::Tensor MlpImpl::forward(torch::Tensor x) {
  for (size_t i = 0; i < linears.size(); ++i) {
    x = linear(x, linears[i]->weight, linears[i]->bias);
    if (i < activations.size()) x = activations[i].forward(x);
  }
  return x;
}

// Under CPU autocast the plain product, which autocast casts (oneDNN's inner product is not on its list).
static bool cpu_autocast_enabled();

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  static const bool mkldnn = at::hasMKLDNN();
  if (mkldnn && x.dim() == 2 && x.is_cpu() && x.scalar_type() == torch::kFloat32 && w.is_cpu() && !cpu_autocast_enabled())
    return at::mkldnn_linear(x.contiguous().to_mkldnn(), w, b).to_dense();
  return torch::nn::functional::linear(x, w, b);
}

torch::Tensor to_tensor(const std::vector<float>& v, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}

static torch::Tensor as_tensor(const std::vector<float>& v) { return to_tensor(v, {static_cast<int64_t>(v.size())}); }
static std::vector<float> as_vector(const torch::Tensor& t) {
  auto c = t.to(torch::kCPU).to(torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// The settings a model file stores: those that rebuild its network or its training transitions,
// for its architecture and model (model_settings()).
static bool stored(const ModelSetting& s, const ModelSpec& spec) {
  return s.effect == ModelSetting::Effect::network && s.read_by(spec.kind()) && s.on(spec.options.arch);
}

static c10::IValue to_ivalue(const SettingValue& v) {
  return std::visit([](const auto& x) { return c10::IValue(x); }, v);
}

// The entry as a value of the setting's type (that of its default).
static SettingValue from_ivalue(const c10::IValue& v, const SettingValue& like) {
  return std::visit(
      [&](const auto& d) -> SettingValue {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, bool>) return v.toBool();
        else if constexpr (std::is_same_v<T, int64_t>) return v.toInt();
        else if constexpr (std::is_same_v<T, double>) return v.toDouble();
        else if constexpr (std::is_same_v<T, std::string>) return v.toStringRef();
        else return v.toIntVector();
      },
      like);
}

// A UNet's grid: a 2-D grid whose two axes are alike as files have always held it (nx, ny and
// one `periodic`), so that those files keep their bytes; any other as `grid` (the sizes) and
// `periodic_axes` (a flag per axis).
static bool stored_as_nx_ny(const ModelSpec& spec) {
  return spec.grid.size() == 2 && spec.periodic.size() == 2 && spec.periodic[0] == spec.periodic[1];
}

static void write_grid(torch::serialize::OutputArchive& a, const ModelSpec& spec) {
  if (stored_as_nx_ny(spec)) {
    a.write("nx", c10::IValue(spec.grid[0]));
    a.write("ny", c10::IValue(spec.grid[1]));
    a.write("periodic", c10::IValue(static_cast<bool>(spec.periodic[0])));
    return;
  }
  a.write("grid", c10::IValue(spec.grid));
  c10::List<bool> periodic;
  for (const bool p : spec.periodic) periodic.push_back(p);
  a.write("periodic_axes", c10::IValue(periodic));
}

// `read`: the archive's entry or a usage error naming the file.
template <typename Read>
static void read_grid(ModelSpec& spec, torch::serialize::InputArchive& a, const Read& read) {
  if (c10::IValue v; a.try_read("grid", v)) {
    spec.grid = v.toIntVector();
    for (const bool p : read("periodic_axes").toBoolList()) spec.periodic.push_back(p);
    return;
  }
  spec.grid = {read("nx").toInt(), read("ny").toInt()};
  spec.periodic.assign(2, read("periodic").toBool());
}

void save_model(const std::string& path, LoadedModel& m) {
  torch::serialize::OutputArchive a;
  const bool unet = m.spec.unet();
  a.write("format", c10::IValue(std::string(unet ? kUnetFormat : kMlpFormat)));
  a.write("model", c10::IValue(m.spec.model));
  a.write("dim", c10::IValue(m.spec.dim));
  if (unet) write_grid(a, m.spec);
  for (const auto& s : model_settings())
    if (stored(s, m.spec)) a.write(s.key, to_ivalue(s.get(m.spec.options)));
  if (!m.spec.options.state_field.empty()) a.write("state_field", c10::IValue(m.spec.options.state_field));
  write_conditioning(a, m);
  a.write("seed", c10::IValue(static_cast<int64_t>(m.seed)));
  a.write("config_yaml", c10::IValue(m.config_yaml));
  a.write("in_mean", as_tensor(m.norm.in_mean));
  a.write("in_std", as_tensor(m.norm.in_std));
  a.write("out_scale", as_tensor(m.norm.out_scale));
  a.write("losses", as_tensor(m.losses));
  torch::serialize::OutputArchive weights;
  m.net.module()->to(torch::kCPU);  // so that a machine without CUDA loads it
  m.net.module()->save(weights);
  a.write("net", weights);
  save_archive_atomic(a, path);
}

// Models and checkpoints end in a seal over the bytes before it, "\nslift-crc32 xxxxxxxx\n",
// computed as they are written: LibTorch's reader checks no CRC of its own (a checkpoint with
// flipped bits was resumed silently). CRC-32 (zlib) checks an 80 MB model in about 0.07 s, where
// SHA-256 took 0.5 s. A file without a seal was written before seals and is read as it is
// (LibTorch still refuses one that is truncated).
namespace {

constexpr char kSealTag[] = "\nslift-crc32 ";
constexpr size_t kSealTagSize = sizeof kSealTag - 1, kSealSize = kSealTagSize + 9;

std::string seal_of(const char* data, size_t n) {
  char text[kSealSize + 1];
  std::snprintf(text, sizeof text, "%s%08lx\n", kSealTag, crc32_z(0, reinterpret_cast<const Bytef*>(data), n));
  return text;
}

}  // namespace

void save_archive_atomic(torch::serialize::OutputArchive& a, const std::string& path) {
  // Into memory first: LibTorch's file writer throws from its destructor when the disk is full
  // (std::terminate); write_file_atomic names the failure and leaves no partial file.
  std::ostringstream out;
  a.save_to(out);
  std::string bytes = out.str();
  bytes += seal_of(bytes.data(), bytes.size());
  write_file_atomic(path, bytes);
}

torch::serialize::InputArchive load_archive(const std::string& path, const std::string& what,
                                            c10::optional<torch::Device> device, bool sealed) {
  std::ifstream in(path, std::ios::binary);
  if (!in) runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) runtime_error("cannot read " + path + ": " + std::strerror(errno));
  size_t size = bytes.size();
  if (size >= kSealSize && bytes.compare(size - kSealSize, kSealTagSize, kSealTag) == 0) {
    size -= kSealSize;
    if (bytes.compare(size, kSealSize, seal_of(bytes.data(), size)) != 0)
      throw DamagedFile(path + ": damaged " + what + " (its checksum does not match: changed after slift wrote it)");
  } else if (sealed) {
    throw DamagedFile(path + ": damaged " + what + " (no checksum at its end: truncated, or written by an older slift)");
  }
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(bytes.data(), size, device);
  } catch (const c10::Error&) {
    throw DamagedFile(path + ": not a readable " + what + " (damaged, truncated, or not written by slift)");
  }
  return archive;
}

static LoadedModel read_model(const std::string& path, torch::serialize::InputArchive& a) {
  auto read = [&](const char* key) {
    c10::IValue v;
    if (!a.try_read(key, v)) usage_error(path + ": model file lacks '" + key + "'");
    return v;
  };
  const std::string format = read("format").toStringRef();
  if (format != kMlpFormat && format != kUnetFormat) usage_error(path + ": unknown model file format");
  LoadedModel m;
  m.spec.model = read("model").toStringRef();
  m.spec.dim = read("dim").toInt();
  m.spec.options.arch = format == kUnetFormat ? "unet" : "mlp";
  if (format == kUnetFormat) read_grid(m.spec, a, read);
  // A setting the file lacks (it came later, or the file is older than the table) has its default.
  c10::IValue v;
  if (a.try_read("film", v)) m.spec.options.conditioning = v.toBool() ? "film" : "shift";  // files before `conditioning`
  for (const auto& s : model_settings())
    if (stored(s, m.spec) && a.try_read(s.key, v)) s.set(m.spec.options, from_ivalue(v, s.fallback));
  if (a.try_read("state_field", v)) m.spec.options.state_field = v.toStringRef();
  // Checked as a config's settings are, before the network is built from them.
  if (auto bad = settings_error(m.spec.options, m.spec.model)) usage_error(path + ": " + *bad);
  read_conditioning(a, m);
  m.seed = static_cast<uint64_t>(read("seed").toInt());
  m.config_yaml = read("config_yaml").toStringRef();
  torch::Tensor t;
  a.read("in_mean", t);
  m.norm.in_mean = as_vector(t);
  a.read("in_std", t);
  m.norm.in_std = as_vector(t);
  a.read("out_scale", t);
  m.norm.out_scale = as_vector(t);
  a.read("losses", t);
  m.losses = as_vector(t);
  m.net = Net(m.spec);
  torch::serialize::InputArchive weights;
  a.read("net", weights);
  m.net.module()->load(weights);
  m.net.module()->eval();
  return m;
}

LoadedModel load_model(const std::string& path) {
  torch::serialize::InputArchive a = load_archive(path, "model file");
  try {
    return read_model(path, a);
  } catch (const c10::Error&) {  // a record of the wrong type or shape
    throw DamagedFile(path + ": damaged model file (a record is not what slift writes)");
  }
}

ModelInfo read_model_info(const std::string& path) {
  auto m = load_model(path);
  ModelInfo info;
  info.model = m.spec.model;
  info.arch = m.spec.options.arch;
  info.dim = m.spec.dim;
  info.window = m.spec.window();
  info.label_dim = m.spec.label_dim();
  info.losses = m.losses;
  for (const auto& p : m.net.module()->parameters()) {
    const auto v = as_vector(p.flatten());
    info.parameters.insert(info.parameters.end(), v.begin(), v.end());
  }
  return info;
}

void setup_threads(int64_t requested, const torch::Device& device) {
  const int n = static_cast<int>(requested > 0 ? requested : omp_get_max_threads());
  torch::set_num_threads(n);
  if (!device.is_cpu()) return;
  // LibTorch still calls BLAS for a few small products, and Debian's pthread OpenBLAS keeps one
  // worker per core spinning on sched_yield after each call: on 1 thread that spin took the second
  // core (35 s of system time in a 50 s training), so two single-thread runs slowed each other.
  using SetThreads = void (*)(int);
  if (auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set_blas(n);
}

bool cuda_available() { return torch::cuda::is_available(); }
int64_t cuda_device_count() { return cuda_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 0; }

torch::Device pick_device(const std::string& name) {
  const bool cuda = cuda_available();
  if (name == "cuda" && !cuda)
    usage_error(std::string("device cuda requested but no CUDA device is usable (") +
                (kCudaBuild ? "no GPU or driver found" : "this build's LibTorch is CPU-only: build the cuda preset") +
                "); set device: cpu or auto");
  return name == "cuda" || (name == "auto" && cuda) ? torch::kCUDA : torch::kCPU;
}

// The autocast switches per device type; LibTorch 2.4 replaced the CPU/GPU-specific ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
static bool autocast_enabled(c10::DeviceType t) { return at::autocast::is_autocast_enabled(t); }
static torch::ScalarType autocast_dtype(c10::DeviceType t) { return at::autocast::get_autocast_dtype(t); }
static void set_autocast(c10::DeviceType t, bool enabled, torch::ScalarType dtype) {
  at::autocast::set_autocast_enabled(t, enabled);
  at::autocast::set_autocast_dtype(t, dtype);
}
#else
static bool autocast_enabled(c10::DeviceType t) {
  return t == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
static torch::ScalarType autocast_dtype(c10::DeviceType t) {
  return t == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
static void set_autocast(c10::DeviceType t, bool enabled, torch::ScalarType dtype) {
  if (t == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
}
#endif
static bool cpu_autocast_enabled() { return autocast_enabled(c10::DeviceType::CPU); }

Autocast::Autocast(const Execution& e) : type_(e.device.type()) {
  if (!e.autocast) return;
  active_ = true;
  was_enabled_ = autocast_enabled(type_);
  was_dtype_ = autocast_dtype(type_);
  set_autocast(type_, true, *e.autocast);
  at::autocast::increment_nesting();
}

Autocast::~Autocast() {
  if (!active_) return;
  set_autocast(type_, was_enabled_, was_dtype_);
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();  // the cast weights of this region
}

Execution setup_execution(const std::string& device, const std::string& precision, int64_t threads, bool deterministic) {
  Execution e;
  e.device = pick_device(device);
  setup_threads(threads, e.device);
  if (precision == "bfloat16") e.autocast = torch::kBFloat16;
  if (e.autocast && e.device.is_cpu() && !machine::native_bf16())
    log::warn("precision bfloat16 on a CPU without avx512_bf16 or amx_bf16: LibTorch emulates it, several times "
              "slower than float32 (SL training on the CPU-scale wave measured at 0.63 against 4.27 steps/s); "
              "float32, or performance: fast, is the quick choice here");
  if (e.device.is_cuda()) {
    // cuBLAS repeats its sums only with a fixed workspace; read when its first handle is made.
    if (deterministic) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
    auto& ctx = at::globalContext();
    ctx.setDeterministicAlgorithms(deterministic, /*warn_only=*/false);
    ctx.setDeterministicCuDNN(deterministic);
    ctx.setBenchmarkCuDNN(!deterministic);
    ctx.setAllowTF32CuBLAS(!deterministic);
    ctx.setAllowTF32CuDNN(!deterministic);
#ifdef SLIFT_TORCH_CUDA
    // The allocator exists after its first allocation; its peak then counts from here (peak_memory_bytes).
    torch::empty({1}, torch::TensorOptions(e.device));
#endif
    reset_peak_memory(e.device);
  }
  return e;
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

#ifdef SLIFT_TORCH_CUDA
static auto allocator_stats() {
  return c10::cuda::CUDACachingAllocator::getDeviceStats(c10::cuda::current_device());
}
#endif

// Index 0 of the allocator's statistics: all pools together (StatType::AGGREGATE).
int64_t peak_memory_bytes(const torch::Device& device) {
  if (!device.is_cuda()) return 0;
#ifdef SLIFT_TORCH_CUDA
  return allocator_stats().allocated_bytes[0].peak;
#else
  return 0;
#endif
}

void reset_peak_memory(const torch::Device& device) {
  if (!device.is_cuda()) return;
#ifdef SLIFT_TORCH_CUDA
  c10::cuda::CUDACachingAllocator::resetPeakStats(c10::cuda::current_device());
#endif
}

int64_t allocated_memory_bytes(const torch::Device& device) {
  if (!device.is_cuda()) return 0;
#ifdef SLIFT_TORCH_CUDA
  return allocator_stats().allocated_bytes[0].current;
#else
  return 0;
#endif
}

int64_t free_memory_bytes(const torch::Device& device) {
  if (!device.is_cuda()) return 0;
#ifdef SLIFT_TORCH_CUDA
  size_t free = 0, total = 0;
  if (cudaMemGetInfo(&free, &total) != cudaSuccess) return 0;
  const auto stats = allocator_stats();
  return static_cast<int64_t>(free) + stats.reserved_bytes[0].current - stats.allocated_bytes[0].current;
#else
  return 0;
#endif
}

torch::Tensor normalise_windows(const ModelSpec& spec, const Normalisation& norm, const torch::Tensor& windows) {
  const auto device = windows.device();
  const auto mean = as_tensor(norm.in_mean).to(device).repeat({spec.window()});
  const auto std = as_tensor(norm.in_std).to(device).repeat({spec.window()});
  return (windows - mean) / std;
}

torch::Tensor prediction_base(const ModelSpec& spec, const torch::Tensor& windows) {
  const int64_t w = spec.window();
  const auto current = windows.slice(1, (w - 1) * spec.dim);
  if (!spec.extrapolate()) return current;
  return 2 * current - windows.slice(1, (w - 2) * spec.dim, (w - 1) * spec.dim);
}

}  // namespace slift::learner
