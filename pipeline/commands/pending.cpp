// Subcommands whose parts are not built yet: they say so and exit 2 (usage), writing nothing.
#include "core/error.hpp"
#include "pipeline/commands/common.hpp"

namespace slift::pipeline {

static void pending(CLI::App& app, const std::string& name, const std::string& what, const std::string& example) {
  auto* cmd = app.add_subcommand(name, what + " (not available yet)");
  cmd->footer("Example:\n  " + example);
  cmd->allow_extras();
  cmd->callback([name] { usage_error("'slift " + name + "' is not available in this version yet"); });
}

void add_train(CLI::App& app) { pending(app, "train", "train the models of an experiment", "slift train configs/duffing.yaml"); }
void add_sample(CLI::App& app) { pending(app, "sample", "roll out trained models", "slift sample configs/duffing.yaml"); }
void add_evaluate(CLI::App& app) { pending(app, "evaluate", "metrics and report", "slift evaluate configs/duffing.yaml"); }
void add_run(CLI::App& app) { pending(app, "run", "run every stage that is out of date", "slift run configs/duffing.yaml"); }
void add_submit(CLI::App& app) {
  pending(app, "submit", "submit the pipeline to SLURM", "slift submit configs/duffing.yaml --profile cluster/local.yaml");
}

}  // namespace slift::pipeline
