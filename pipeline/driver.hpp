// The make-style driver: runs the stages that are out of date, in order, recording each in the
// run directory's lock file. A stage is out of date when it never ran, its version or parameter
// values changed, an input's content changed, or an output is missing or was modified.
#pragma once
#include <string>
#include <vector>

#include "pipeline/stage.hpp"

namespace slift::pipeline {

struct DriverOptions {
  std::vector<std::string> targets;  // stage names or prefixes ("train" = every train:*); empty = all
  bool dry_run = false;              // print each stage with the reason it would run, run nothing
  bool force = false;                // rerun the targeted stages even if up to date
  bool force_downstream = false;     // ... and everything downstream of them
  bool keep_going = false;           // after a failure, go on with stages that do not depend on it
};

// Stages must be in dependency order. Throws usage errors for unknown targets; returns the
// number of failed stages (0 on success).
int run_stages(const std::vector<Stage>& stages, const std::string& run_dir, const DriverOptions& options);

// The DAG as text (one stage per line with its inputs and outputs) or Graphviz DOT.
std::string describe_dag(const std::vector<Stage>& stages, bool dot);

}  // namespace slift::pipeline
