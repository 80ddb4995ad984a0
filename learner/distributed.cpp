#include "learner/distributed.hpp"

#include <torch/cuda.h>
#ifdef SLIFT_TORCH_CUDA
#include <c10/cuda/CUDAFunctions.h>
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

double DataParallel::average_gradients(const std::vector<torch::Tensor>& parameters, double loss) const {
  if (size_ == 1) return loss;
  // Parameters outside this step's graph have no gradient on any rank (every rank runs the same graph).
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  auto local = flatten(grads);
  const size_t n = local.size();
  local.push_back(static_cast<float>(loss));  // a float32 loss: exact; gathered with the gradient, one collective
  const auto mean = rank_order_mean(mpi::allgather(local), n + 1, size_);
  unflatten(std::vector<float>(mean.begin(), mean.end() - 1), grads);
  return mean.back();
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
