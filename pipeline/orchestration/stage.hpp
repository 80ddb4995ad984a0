// A stage of the pipeline: what it depends on (its parameter values and input files), what it
// makes (output files), and how. The driver reruns a stage when any of these changed.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace slift::pipeline {

struct Stage {
  std::string name;                 // "simulate", "train:sl", "sample:ardm_k40", "evaluate", "report"
  int version = 1;                  // bump when the stage's code changes what it writes
  std::string params;               // canonical text of the parameter values it reads
  std::vector<std::string> inputs;  // files, relative to the run directory
  std::vector<std::string> outputs; // files, relative to the run directory
  std::vector<std::string> after;   // stages that make the inputs
  std::function<void()> action;     // writes every output (atomically) or throws
  bool collective = false;          // runs on every MPI rank (solvers, training); others run on rank 0 only
  int ranks = 1;                    // MPI ranks it asks for when no launcher started slift (train.ranks)
};

}  // namespace slift::pipeline
