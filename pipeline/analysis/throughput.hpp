// The user's real question, answered on this machine: trajectories per second from the solver and
// from every generated set (SL, deterministic, ARDM-K), with the cores each used. Read from
// <data_dir>/simulate.json (the simulate stage) and samples/<set>.json (the sample stages).
#pragma once
#include <nlohmann/json.hpp>

#include "pipeline/experiment.hpp"

namespace slift::pipeline {

// {"solver": {trajectories_per_second, cores, per_core, ranks, threads}, "<set>":
// {trajectories_per_second, cores, per_core, vs_solver}, ...}: vs_solver compares per core, so a
// 1-thread sampler and a 2-rank solver meet at equal cores. The solver entry is left out when
// simulate.json is absent (data simulated by an older slift), vs_solver then too.
nlohmann::json throughput(const Experiment& e);

}  // namespace slift::pipeline
