// The SLURM client commands slift calls (sbatch, squeue): the only place it talks to the cluster.
#pragma once
#include <string>
#include <vector>

namespace slift::pipeline::cluster {

// Runs an `sbatch --parsable ...` command line; returns the job id. Throws a run-time error
// with sbatch's own message when it fails.
std::string submit(const std::string& sbatch_command);

// Those of `ids` that are still pending or running (yours, per `squeue --me`).
std::vector<std::string> active_jobs(const std::vector<std::string>& ids);

}  // namespace slift::pipeline::cluster
