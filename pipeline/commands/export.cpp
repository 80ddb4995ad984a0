// slift export: a trained model as a TorchScript module for PyTorch (learner/export.hpp), through
// the learner plugin so that `slift` itself stays free of LibTorch.
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "pipeline/commands/common.hpp"
#include "pipeline/learner_plugin.hpp"

namespace slift::pipeline {

void add_export(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "write a trained model as a TorchScript module that PyTorch loads");
  cmd->footer("Example:\n  slift export runs/duffing/models/sl.pt sl.ts.pt\n"
              "Python: m = torch.jit.load(\"sl.ts.pt\"); m(window, z); m.rollout(x0, steps, seed) (docs/learner.md)");
  static std::string model, out;
  cmd->add_option("MODEL", model, "a model file that `slift train` wrote (<output_dir>/models/<model>.pt)")->required();
  static bool force = false;
  cmd->add_option("OUT", out, "the TorchScript file to write")->required();
  cmd->add_flag("--force", force, "let OUT replace an existing file (never MODEL)");
  cmd->callback([] {
    if (!std::filesystem::is_regular_file(model)) usage_error(model + ": no such model file");
    check_output("OUT", out, {{model, "the model file"}}, force);
    learner_api().export_torchscript(model, out);
  });
}

}  // namespace slift::pipeline
