// One rank of a data-parallel training for the distributed tests (run plain or under mpiexec):
//   learner_dp_helper DATA mlp|unet MODEL BATCH ITERATIONS STOP_AFTER PREFIX [DEVICE]
// trains MODEL with the tests' tiny options on DATA (seed 4, 1 thread; on the CPU unless DEVICE
// says cuda), writing PREFIX.pt (or, stopped, PREFIX.ckpt). Errors: one line and the error's exit
// code, as `slift` does.
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "learner/learner.hpp"
#include "toy_data.hpp"

int main(int argc, char** argv) {
  using namespace slift;
  if (argc != 8 && argc != 9) {
    std::fprintf(stderr, "usage: %s DATA mlp|unet MODEL BATCH ITERATIONS STOP_AFTER PREFIX [DEVICE]\n", argv[0]);
    return 2;
  }
  log::set_level(log::Level::quiet);
  const std::string data = argv[1], arch = argv[2], model = argv[3], prefix = argv[7];
  const int64_t batch = std::stoll(argv[4]), iterations = std::stoll(argv[5]);
  const int64_t label_dim = model == "sl" ? 4 : 0;
  auto o = arch == "unet" ? test::tiny_unet_options(iterations, batch, label_dim) : test::tiny_options(iterations, batch, label_dim);
  o.stop_after = std::stoll(argv[6]);
  o.checkpoint_every = 10;
  o.log_every = 10;  // the ranks compare their parameters' hashes every 10 steps
  o.grad_clip = 1.0;
  if (argc == 9) o.device = argv[8];
  try {
    learner::train_model(model, o, data, 4, prefix + ".pt", prefix + ".ckpt", "");
  } catch (const Error& e) {
    log::error(e.what());
    return static_cast<int>(e.code());  // every rank fails alike here: no rank waits for another
  }
  return 0;
}
