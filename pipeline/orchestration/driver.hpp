// The make-style driver: runs the stages that are out of date, in order, recording each in the
// run directory's lock file. A stage is out of date when it never ran, its version or parameter
// values changed, an input's content changed, or an output is missing or was modified.
#pragma once
#include <string>
#include <vector>

#include "pipeline/orchestration/stage.hpp"

namespace slift::pipeline {

struct DriverOptions {
  std::vector<std::string> targets;  // stage names or prefixes ("train" = every train:*); empty = all
  bool dry_run = false;              // print each stage with the reason it would run, run nothing
  bool force = false;                // rerun the targeted stages even if up to date
  bool force_downstream = false;     // ... and everything downstream of them
  bool keep_going = false;           // after a failure, go on with stages that do not depend on it
  int jobs = 1;                      // stages run side by side (each in its own process, log in <run_dir>/logs)
};

// One selected stage and why it would run ("" when it is up to date).
struct PlannedStage {
  std::string stage;
  std::string reason;
};

// What `run_stages` would do, deciding without running anything (dry run, `slift submit`): the
// selected stages in order; a stage whose upstream will rerun is out of date too. Stages must be
// in dependency order; throws usage errors for unknown targets.
std::vector<PlannedStage> plan_stages(const std::vector<Stage>& stages, const std::string& run_dir,
                                      const DriverOptions& options);

// Runs the out-of-date stages, checking each one after its upstream ran (an upstream rerun that
// wrote the same bytes stops there); options.dry_run prints the plan instead. Returns the number
// of failed stages (0 on success). With options.jobs > 1 up to that many stages whose upstream is
// done run at once, each forked, its output in <run_dir>/logs/<stage>.log.
int run_stages(const std::vector<Stage>& stages, const std::string& run_dir, const DriverOptions& options);

// The DAG as text (one stage per line with its inputs and outputs) or Graphviz DOT.
std::string describe_dag(const std::vector<Stage>& stages, bool dot);

}  // namespace slift::pipeline
