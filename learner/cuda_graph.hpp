// A training step recorded once as a CUDA graph and replayed (docs/gpu.md, "CUDA graphs"): one
// launch per step instead of its thousands of kernel launches, so that the host never limits a
// small network or a fast card. Needs LibTorch 2.x with CUDA; elsewhere unavailable() says why and
// the trainer runs its steps as they are.
//
// A graph replays fixed kernels on fixed memory: the step it records must read its inputs from
// tensors that stay put (copied in before each replay), leave its outputs in tensors that stay put,
// and do nothing on the host (no read of a device value, no host-to-device copy from pageable
// memory, no value baked in that changes between steps).
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>

#ifdef SLIFT_TORCH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace slift::learner {

#ifdef SLIFT_TORCH_CUDA
// `to` waits (on the device, not the host) for the work queued on `from` so far.
void join_streams(const c10::cuda::CUDAStream& from, const c10::cuda::CUDAStream& to);
#endif

class StepGraph {
 public:
  // Why this build cannot capture a step on `device` ("" when it can).
  static std::string unavailable(const torch::Device& device);

  // Makes a side stream of `device` the current one, after the work queued so far: a capture needs
  // a stream other than the default, and the steps before it (the warm-up) and the replays run
  // there as well, so that everything stays in one order. Only where unavailable() is "".
  explicit StepGraph(const torch::Device& device);
  // The stream that was current before, once the side stream's work is done.
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  // Records `step`'s kernels without running them; "" or, where CUDA or LibTorch refuses (an
  // operation that waits for the device, say), the reason in a few words; nothing ran then and
  // captured() stays false. Autocast's cache of cast weights is off while recording (the cast
  // stays inside the graph).
  std::string capture(const std::function<void()>& step);
  bool captured() const;
  // Runs the recorded kernels once.
  void replay();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slift::learner
