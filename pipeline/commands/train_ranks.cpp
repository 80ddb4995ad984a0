// slift train-ranks (hidden): one rank of a data-parallel training that `slift run` started
// with `mpirun -np <train.ranks>` (pipeline/orchestration/learn_stages.hpp). Not for direct use:
// the stage's lock and record stay with the `slift run` that started it.
#include "pipeline/commands/common.hpp"
#include "pipeline/orchestration/learn_stages.hpp"

namespace slift::pipeline {

void add_train_ranks(CLI::App& app) {
  struct Flags {
    CommonFlags common;
    std::string model, data, prefix;
    uint64_t seed = 0;
  };
  auto* f = new Flags();  // lives as long as the program: CLI11 binds to it
  auto* cmd = app.add_subcommand("train-ranks", "one rank of a training that `slift run` started on train.ranks ranks");
  cmd->group("");  // hidden from --help
  add_common(cmd, f->common);
  cmd->add_option("MODEL", f->model)->required();
  cmd->add_option("DATA", f->data)->required();
  cmd->add_option("SEED", f->seed)->required();
  cmd->add_option("PREFIX", f->prefix)->required();
  cmd->callback([f] {
    apply_common(f->common);
    train_ranks_worker(f->common.config, f->model, f->data, f->seed, f->prefix);
  });
}

}  // namespace slift::pipeline
