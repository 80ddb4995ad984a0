// Subcommands whose parts are not built yet: they say so and exit 2 (usage), writing nothing.
#include "core/error.hpp"
#include "pipeline/commands/common.hpp"

namespace slift::pipeline {

void add_submit(CLI::App& app) {
  auto* cmd = app.add_subcommand("submit", "submit the pipeline to SLURM (not available yet)");
  cmd->footer("Example:\n  slift submit configs/duffing.yaml --profile cluster/local.yaml");
  cmd->allow_extras();
  cmd->callback([] { usage_error("'slift submit' is not available in this version yet"); });
}

}  // namespace slift::pipeline
