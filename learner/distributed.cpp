#include "learner/distributed.hpp"

#include <torch/cuda.h>

#include <algorithm>
#include <string>
#ifdef SLIFT_TORCH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif
#ifdef SLIFT_NCCL
#include <c10/cuda/CUDAStream.h>
#include <nccl.h>
#endif

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/mpi_env.hpp"

namespace slift::learner {

namespace {

// The tensors flattened, one after the other, as float32 on the host.
std::vector<float> flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.detach().reshape({-1}));
  const auto host = torch::cat(flat).to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
}

// Copies consecutive stretches of `values` into the tensors (the inverse of flatten).
void unflatten(const std::vector<float>& values, const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  const auto all = torch::from_blob(const_cast<float*>(values.data()), {static_cast<int64_t>(values.size())});
  int64_t offset = 0;
  for (const auto& t : tensors) {
    t.copy_(all.slice(0, offset, offset + t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

// The mean over the ranks of each of the `n` values the ranks gathered (rank-major), summed in
// rank order: the same bits on every rank.
std::vector<float> rank_order_mean(const std::vector<float>& gathered, size_t n, int ranks) {
  std::vector<float> mean(n);
  for (size_t i = 0; i < n; ++i) {
    double sum = 0;
    for (int r = 0; r < ranks; ++r) sum += gathered[static_cast<size_t>(r) * n + i];
    mean[i] = static_cast<float>(sum / ranks);
  }
  return mean;
}

}  // namespace

#ifdef SLIFT_NCCL
// One communicator over the ranks, each on its current GPU.
struct DataParallel::Nccl {
  ncclComm_t comm = nullptr;
  Nccl(int rank, int size) {
    ncclUniqueId id{};
    if (rank == 0) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    const std::string bytes = mpi::broadcast(std::string(id.internal, sizeof id.internal));
    std::copy(bytes.begin(), bytes.end(), id.internal);
    check(ncclCommInitRank(&comm, size, id, rank), "ncclCommInitRank");
  }
  ~Nccl() { ncclCommDestroy(comm); }
  Nccl(const Nccl&) = delete;
  Nccl& operator=(const Nccl&) = delete;
  static void check(ncclResult_t r, const char* what) {
    if (r != ncclSuccess)
      runtime_error(std::string("data-parallel training: ") + what + " failed: " + ncclGetErrorString(r) +
                    " (NCCL_DEBUG=WARN says more)");
  }
};
#else
struct DataParallel::Nccl {};
#endif

bool DataParallel::mean_on_device(const std::vector<torch::Tensor>& tensors) const {
#ifdef SLIFT_NCCL
  if (tensors.empty() || !tensors.front().is_cuda()) return false;
  if (!nccl_) nccl_ = std::make_shared<Nccl>(rank_, size_);
  // Buckets of about 25 MB (as DDP's): each flattened into one buffer, the buffers reduced in one
  // group on the training stream, then copied back; the device queues it all, the host waits for nothing.
  constexpr int64_t kBucketFloats = (25 << 20) / sizeof(float);
  std::vector<std::vector<torch::Tensor>> buckets(1);
  int64_t filled = 0;
  for (const auto& t : tensors) {
    SLIFT_ASSERT(t.scalar_type() == torch::kFloat32 && t.is_cuda(), "NCCL reduces float32 CUDA tensors");
    if (filled > 0 && filled + t.numel() > kBucketFloats) buckets.emplace_back(), filled = 0;
    buckets.back().push_back(t);
    filled += t.numel();
  }
  std::vector<torch::Tensor> flat;
  for (const auto& b : buckets) {
    std::vector<torch::Tensor> parts;
    for (const auto& t : b) parts.push_back(t.detach().reshape({-1}));
    flat.push_back(torch::cat(parts));
  }
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  Nccl::check(ncclGroupStart(), "ncclGroupStart");
  for (auto& f : flat)
    Nccl::check(ncclAllReduce(f.data_ptr(), f.data_ptr(), static_cast<size_t>(f.numel()), ncclFloat, ncclSum, nccl_->comm,
                              stream),
                "ncclAllReduce");
  Nccl::check(ncclGroupEnd(), "ncclGroupEnd");
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < buckets.size(); ++i) {
    flat[i].div_(static_cast<double>(size_));
    int64_t offset = 0;
    for (const auto& t : buckets[i]) {
      t.copy_(flat[i].slice(0, offset, offset + t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
  return true;
#else
  (void)tensors;
  return false;
#endif
}

DataParallel::DataParallel(int64_t global_batch) {
  mpi::ensure_initialized();
  rank_ = mpi::rank();
  size_ = mpi::size();
  if (global_batch % size_)
    usage_error("train.batch_size " + std::to_string(global_batch) + " does not split evenly over " +
                std::to_string(size_) + " ranks: make it a multiple of the rank count");
  shard_size_ = global_batch / size_;
}

torch::Tensor DataParallel::shard(const torch::Tensor& global) const {
  return size_ == 1 ? global : global.slice(0, shard_begin(), shard_begin() + shard_size_);
}

void DataParallel::select_gpu() const {
#ifdef SLIFT_TORCH_CUDA
  if (size_ > 1 && torch::cuda::is_available())
    c10::cuda::set_device(static_cast<c10::DeviceIndex>(mpi::local_rank() % static_cast<int>(torch::cuda::device_count())));
#endif
}

void DataParallel::broadcast(const std::vector<torch::Tensor>& parameters) const {
  if (size_ == 1) return;
  auto values = flatten(parameters);
  mpi::broadcast(values);
  unflatten(values, parameters);
}

// Parameters outside this step's graph have no gradient on any rank (every rank runs the same graph).
static std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

double DataParallel::average_gradients(const std::vector<torch::Tensor>& parameters, double loss) const {
  if (size_ == 1) return loss;
  const auto grads = gradients_of(parameters);
  if (mean_on_device(grads)) return mean(loss);
  auto local = flatten(grads);
  const size_t n = local.size();
  local.push_back(static_cast<float>(loss));  // a float32 loss: exact; gathered with the gradient, one collective
  const auto mean = rank_order_mean(mpi::allgather(local), n + 1, size_);
  unflatten(std::vector<float>(mean.begin(), mean.end() - 1), grads);
  return mean.back();
}

torch::Tensor DataParallel::average_gradients(const std::vector<torch::Tensor>& parameters, const torch::Tensor& loss) const {
  if (size_ == 1) return loss;
  auto tensors = gradients_of(parameters);
  const auto mean_loss = loss.detach().to(torch::kFloat32).reshape({1}).clone();
  tensors.push_back(mean_loss);
  if (mean_on_device(tensors)) return mean_loss.reshape({});
  return torch::tensor(average_gradients(parameters, loss.item<double>()), loss.options().dtype(torch::kFloat32));
}

double DataParallel::mean(double value) const {
  if (size_ == 1) return value;
  return rank_order_mean(mpi::allgather({static_cast<float>(value)}), 1, size_)[0];
}

torch::Tensor DataParallel::global_column_mean(const torch::Tensor& shard) const {
  if (size_ == 1) return shard.mean(0);
  const auto sums = shard.sum(0);
  const auto mean = rank_order_mean(mpi::allgather(flatten({sums})), static_cast<size_t>(sums.numel()), size_);
  const auto total = torch::from_blob(const_cast<float*>(mean.data()), sums.sizes(), torch::kFloat32).clone();
  return (total / static_cast<double>(shard.size(0))).to(shard.device());
}

void DataParallel::check_identical(const std::vector<torch::Tensor>& parameters, int64_t step) const {
  if (size_ == 1) return;
  const auto values = flatten(parameters);
  Sha256 h;
  h.update(values.data(), values.size() * sizeof(float));
  const uint64_t mine = std::stoull(h.hex().substr(0, 16), nullptr, 16);
  const float differs = mpi::broadcast(mine) != mine ? 1.0f : 0.0f;
  for (float d : mpi::allgather({differs}))
    if (d != 0)
      runtime_error("data-parallel training: the parameters differ between ranks after step " + std::to_string(step) +
                    " (the ranks must run the same build on the same kind of device)");
}

}  // namespace slift::learner
