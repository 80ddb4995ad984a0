#include "learner/distributed.hpp"

#include <torch/cuda.h>

#include <algorithm>
#include <string>
#ifdef SLIFT_TORCH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif
#ifdef SLIFT_NCCL
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <nccl.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#endif

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/mpi_env.hpp"
#include "learner/cuda_graph.hpp"

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

#ifdef SLIFT_NCCL
// The gradients' mean over NCCL, in buckets of about 25 MB (as DDP's) of the parameters in reverse
// order, the order in which the backward makes their gradients. A bucket is reduced on a side
// stream once its gradients are accumulated (watched by hooks: reduce_during_backward) and every
// bucket before it went, so that every rank launches the same collectives in the same order;
// finish() sends the buckets the backward left (all of them without hooks, or those of parameters
// it did not reach) and makes the training stream wait for the side stream.
struct DataParallel::Overlap {
  struct Bucket {
    std::vector<torch::Tensor> parameters;
    torch::Tensor flat;  // the bucket's gradients, one after the other (kept: no allocation per step)
    size_t pending = 0;  // gradients not accumulated yet in this backward
  };
  std::vector<Bucket> buckets;
  size_t launched = 0;  // buckets sent in this backward
  std::shared_ptr<Nccl> nccl;
  int ranks;
  c10::cuda::CUDAStream stream;

  Overlap(const std::vector<torch::Tensor>& parameters, std::shared_ptr<Nccl> comm, int size)
      : nccl(std::move(comm)), ranks(size), stream(c10::cuda::getStreamFromPool()) {
    constexpr int64_t kBucketFloats = (25 << 20) / sizeof(float);
    int64_t filled = 0;
    for (auto p = parameters.rbegin(); p != parameters.rend(); ++p) {
      SLIFT_ASSERT(p->scalar_type() == torch::kFloat32 && p->is_cuda(), "NCCL reduces float32 CUDA gradients");
      if (buckets.empty() || (filled > 0 && filled + p->numel() > kBucketFloats)) buckets.emplace_back(), filled = 0;
      buckets.back().parameters.push_back(*p);
      filled += p->numel();
    }
    for (auto& b : buckets) b.flat = torch::empty({bucket_size(b)}, b.parameters.front().options());
    restart();
  }

  static int64_t bucket_size(const Bucket& b) {
    int64_t n = 0;
    for (const auto& p : b.parameters) n += p.numel();
    return n;
  }

  void restart() {
    for (auto& b : buckets) b.pending = b.parameters.size();
    launched = 0;
  }

  // A hook: the gradient of one of bucket `b`'s parameters is accumulated.
  void accumulated(size_t b) {
    if (--buckets[b].pending > 0) return;
    while (launched < buckets.size() && buckets[launched].pending == 0) send(buckets[launched++]);
  }

  // Sums the bucket over the ranks on the side stream, after the work queued on the current
  // (training) stream, and writes the mean back into the gradients there. A parameter without a
  // gradient (none on any rank: every rank runs the same graph) adds zeros and gets none.
  void send(Bucket& b) {
    join_streams(c10::cuda::getCurrentCUDAStream(), stream);
    c10::cuda::CUDAStreamGuard side(stream);
    torch::NoGradGuard no_grad;
    int64_t offset = 0;
    for (const auto& p : b.parameters) {
      auto part = b.flat.slice(0, offset, offset + p.numel());
      if (p.grad().defined())
        part.copy_(p.grad().reshape({-1}));
      else
        part.zero_();
      offset += p.numel();
    }
    all_reduce_mean(b.flat);
    offset = 0;
    for (const auto& p : b.parameters) {
      if (p.grad().defined()) p.grad().copy_(b.flat.slice(0, offset, offset + p.numel()).view(p.grad().sizes()));
      offset += p.numel();
    }
  }

  void all_reduce_mean(const torch::Tensor& t) const {
    Nccl::check(ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), ncclFloat, ncclSum, nccl->comm,
                              stream.stream()),
                "ncclAllReduce");
    t.div_(static_cast<double>(ranks));
  }

  // After the backward: the buckets not sent yet, then the loss (a scalar on the device; undefined:
  // none); the training stream waits for all of it. Returns the mean loss there.
  torch::Tensor finish(const torch::Tensor& loss) {
    while (launched < buckets.size()) send(buckets[launched++]);
    const auto training = c10::cuda::getCurrentCUDAStream();
    torch::Tensor mean;
    if (loss.defined()) {
      mean = loss.detach().to(torch::kFloat32).reshape({1}).clone();
      join_streams(training, stream);
      c10::cuda::CUDAStreamGuard side(stream);
      all_reduce_mean(mean);
    }
    join_streams(stream, training);
    restart();
    return loss.defined() ? mean.reshape({}) : mean;
  }

  // The hook on one parameter of bucket `b`: its gradient is accumulated.
  struct Hook : torch::autograd::PostAccumulateGradHook {
    Hook(std::weak_ptr<Overlap> o, size_t b) : overlap(std::move(o)), bucket(b) {}
    void operator()(const torch::autograd::Variable&) override {
      if (auto o = overlap.lock()) o->accumulated(bucket);
    }
    std::weak_ptr<Overlap> overlap;
    size_t bucket;
  };
};

#else
struct DataParallel::Overlap {
  torch::Tensor finish(const torch::Tensor& loss) { return loss; }
};
#endif

DataParallel::Overlap* DataParallel::overlap(const std::vector<torch::Tensor>& parameters) const {
#ifdef SLIFT_NCCL
  if (parameters.empty() || !parameters.front().is_cuda()) return nullptr;
  if (!overlap_) {
    if (!nccl_) nccl_ = std::make_shared<Nccl>(rank_, size_);
    overlap_ = std::make_shared<Overlap>(parameters, nccl_, size_);
  }
  return overlap_.get();
#else
  (void)parameters;
  return nullptr;
#endif
}

void DataParallel::reduce_during_backward(const std::vector<torch::Tensor>& parameters) const {
  if (size_ == 1) return;
  Overlap* o = overlap(parameters);
  if (!o) return;
#ifdef SLIFT_NCCL
  for (size_t b = 0; b < o->buckets.size(); ++b)
    for (const auto& p : o->buckets[b].parameters)
      torch::autograd::impl::set_post_acc_grad_hooks(p, std::make_unique<Overlap::Hook>(overlap_, b));
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
  if (Overlap* o = overlap(parameters)) {
    o->finish({});
    return mean(loss);
  }
  const auto grads = gradients_of(parameters);
  auto local = flatten(grads);
  const size_t n = local.size();
  local.push_back(static_cast<float>(loss));  // a float32 loss: exact; gathered with the gradient, one collective
  const auto mean = rank_order_mean(mpi::allgather(local), n + 1, size_);
  unflatten(std::vector<float>(mean.begin(), mean.end() - 1), grads);
  return mean.back();
}

torch::Tensor DataParallel::average_gradients(const std::vector<torch::Tensor>& parameters, const torch::Tensor& loss) const {
  if (size_ == 1) return loss;
  if (Overlap* o = overlap(parameters)) return o->finish(loss);
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
