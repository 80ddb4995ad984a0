#include "learner/cuda_graph.hpp"

#include <torch/version.h>

// at::cuda::CUDAGraph with a private memory pool per graph and capture on any side stream: 2.x.
#if defined(SLIFT_TORCH_CUDA) && TORCH_VERSION_MAJOR >= 2
#define SLIFT_CUDA_GRAPHS 1
#include <ATen/autocast_mode.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#else
#define SLIFT_CUDA_GRAPHS 0
#endif

#ifdef SLIFT_TORCH_CUDA
#include <c10/cuda/CUDAEvent.h>
#endif

#include "core/error.hpp"

namespace slift::learner {

#ifdef SLIFT_TORCH_CUDA
void join_streams(const c10::cuda::CUDAStream& from, const c10::cuda::CUDAStream& to) {
  c10::cuda::CUDAEvent done;
  done.record(from);
  done.block(to);
}
#endif

#if SLIFT_CUDA_GRAPHS

namespace {

// The first line of a LibTorch error, without its C++ backtrace.
std::string first_line(const c10::Error& e) {
  const std::string what = e.what_without_backtrace();
  return what.substr(0, what.find('\n'));
}

}  // namespace

struct StepGraph::Impl {
  c10::cuda::CUDAStream outer, side;
  c10::cuda::CUDAStreamGuard current;  // side, while this lives
  std::unique_ptr<at::cuda::CUDAGraph> graph;

  explicit Impl(const torch::Device& device)
      : outer(c10::cuda::getCurrentCUDAStream(device.index())),
        side(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device.index())),
        current((join_streams(outer, side), side)) {}
  ~Impl() { join_streams(side, outer); }
};

std::string StepGraph::unavailable(const torch::Device& device) {
  return device.is_cuda() ? "" : "the CPU runs kernels as they come";
}

StepGraph::StepGraph(const torch::Device& device) : impl_(std::make_unique<Impl>(device)) {}

StepGraph::~StepGraph() = default;

std::string StepGraph::capture(const std::function<void()>& step) {
  auto graph = std::make_unique<at::cuda::CUDAGraph>();
  const bool cache = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(false);
  std::string refused;
  try {
    graph->capture_begin();
    try {
      step();
    } catch (const c10::Error&) {
      // End the capture (it is invalid now) so that the stream runs kernels again.
      try {
        graph->capture_end();
      } catch (const c10::Error&) {
      }
      throw;
    }
    graph->capture_end();
  } catch (const c10::Error& e) {
    refused = first_line(e);
  }
  at::autocast::set_autocast_cache_enabled(cache);
  if (!refused.empty()) {
    (void)cudaGetLastError();  // the capture's error is reported here, not by the next kernel
    return refused;
  }
  impl_->graph = std::move(graph);
  return "";
}

bool StepGraph::captured() const { return impl_->graph != nullptr; }

void StepGraph::replay() { impl_->graph->replay(); }

#else

struct StepGraph::Impl {};

std::string StepGraph::unavailable(const torch::Device& device) {
  if (!device.is_cuda()) return "the CPU runs kernels as they come";
  return "this LibTorch (" TORCH_VERSION ") has no CUDA graphs (2.x with CUDA)";
}

StepGraph::StepGraph(const torch::Device& device) {
  runtime_error("internal: a CUDA graph on " + device.str() + ", but " + unavailable(device));
}

StepGraph::~StepGraph() = default;

std::string StepGraph::capture(const std::function<void()>&) { return unavailable(torch::kCUDA); }

bool StepGraph::captured() const { return false; }

void StepGraph::replay() {}

#endif

}  // namespace slift::learner
