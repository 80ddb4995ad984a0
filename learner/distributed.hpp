// Data-parallel training over the MPI ranks of this process (`mpirun -np N slift train ...`, or
// srun under `slift submit`); a process no launcher started is one rank and every call below is
// a no-op that leaves the single-process numbers bit for bit as they were.
//
// Design:
// - The ranks draw the same global batch of train.batch_size transitions (the same minibatch
//   RNG, the same fixed per-transition labels, the same ARDM draws) and each computes the
//   gradient of its contiguous slice of batch_size / N rows; the slices' gradients are averaged,
//   so N ranks x B / N computes the gradient of the 1-rank batch B, up to the order of the sums.
// - The reduction is MPI (core/mpi_env), not LibTorch's c10d: the project's two LibTorch flavours
//   (Debian's 1.13, PyPI's 2.11) have different c10d C++ APIs (ProcessGroup vs Backend) and c10d
//   wants its own rendezvous (a TCP or file store) beside the MPI the launchers already set up.
//   Gradients go as one flattened buffer through MPI_Allgather and every rank sums the N
//   buffers itself in rank order (in double): every rank gets the same bits whatever algorithm
//   the MPI library picks for a collective (MPI_Allreduce does not promise that), so the
//   parameters stay identical without re-broadcasting them, and a run repeats itself bit for bit
//   for a given rank count. The gather moves N times the buffer of a reduce: negligible for the
//   networks here (10^5 - 10^6 parameters) against a step's compute.
// - CUDA gradients, in a build with NCCL (SLIFT_WITH_NCCL, on in the cuda preset when NCCL is
//   found): summed by ncclAllReduce on the device, in buckets of about 25 MB in reverse parameter
//   order, each sent on a side stream as soon as the backward has accumulated its gradients
//   (post-accumulate-grad hooks), overlapped with the rest of the backward; the training stream
//   waits for them before the update; no host copy, no wait. The communicator is bootstrapped over the MPI the launcher started (rank 0 makes the
//   ncclUniqueId, MPI_Bcast sends it), one rank per GPU. NCCL sums in its own order (ring or tree,
//   chosen by size and topology), so the result is not the host path's rank-order sum; every
//   rank receives the same bits, and a run repeats itself for a fixed rank count, GPU model,
//   topology, NCCL version and NCCL_ALGO / NCCL_PROTO (docs/gpu.md).
// - CUDA tensors without NCCL, and everything but the gradients (the broadcast of the initial
//   weights, the tail's column means, the identity check), go through the host (device -> host,
//   MPI on host memory, host -> device): no CUDA-aware MPI build needed.
// - Everything that is state (weights, AdamW moments, minibatch RNG position, loss curve) is the
//   same on every rank and independent of the rank count: rank 0 alone writes checkpoints and the
//   model, every rank reads the same checkpoint, and a run resumes with any rank count (with
//   another count it continues up to rounding, not bit for bit).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

namespace slift::learner {

class DataParallel {
 public:
  // Rank and size from core/mpi_env (MPI starts only under a launcher). Refuses (usage error, one
  // line, exit 2) a global batch that does not split evenly over the ranks.
  explicit DataParallel(int64_t global_batch);

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }
  // This rank's rows of each global batch: global batch / size of them, from shard_begin.
  int64_t shard_begin() const { return shard_size_ * rank_; }
  // This rank's rows of a tensor holding the whole global batch along dimension 0.
  torch::Tensor shard(const torch::Tensor& global) const;

  // Several ranks on a node with several GPUs: each rank makes its own (node-local rank modulo
  // the GPUs it sees; under srun --gpus-per-task each sees one) the current CUDA device, so that
  // `cuda` means that one. Call before the device is picked.
  void select_gpu() const;
  // Rank 0's parameters on every rank.
  void broadcast(const std::vector<torch::Tensor>& parameters) const;
  // Replaces every rank's gradients by their mean over the ranks and returns the mean of the
  // ranks' losses: the gradient and the loss of the global batch.
  double average_gradients(const std::vector<torch::Tensor>& parameters, double loss) const;
  // The same with the loss on the device (a scalar tensor): returns the mean loss there, reduced
  // with the gradients (over NCCL: in their last bucket, no host copy).
  torch::Tensor average_gradients(const std::vector<torch::Tensor>& parameters, const torch::Tensor& loss) const;
  // Over NCCL (CUDA parameters, several ranks): from now on every backward reduces the gradients
  // in buckets as it makes them, on a side stream, overlapped with the rest of the backward, and
  // average_gradients() only finishes that. Call once, on every rank, before the first backward. A
  // no-op elsewhere (one rank, the CPU, a build without NCCL).
  void reduce_during_backward(const std::vector<torch::Tensor>& parameters) const;
  // The mean over the ranks of one value per rank (each over an equal shard).
  double mean(double value) const;
  // The column means of the global batch, from each rank's shard (rows x columns).
  torch::Tensor global_column_mean(const torch::Tensor& shard) const;
  // A debug check: a runtime error on every rank when the parameters differ between ranks.
  void check_identical(const std::vector<torch::Tensor>& parameters, int64_t step) const;

 private:
  // The reduction of these parameters' gradients over NCCL (made at the first call, a collective);
  // null in a build without NCCL or for CPU parameters.
  struct Overlap;
  Overlap* overlap(const std::vector<torch::Tensor>& parameters) const;

  int rank_ = 0, size_ = 1;
  int64_t shard_size_ = 0;
  struct Nccl;
  mutable std::shared_ptr<Nccl> nccl_;  // made at the first reduction on a GPU (a collective call)
  mutable std::shared_ptr<Overlap> overlap_;
};

}  // namespace slift::learner
