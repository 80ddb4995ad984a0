// A cluster profile (cluster/*.yaml): the site's SLURM settings, kept out of the experiment
// config so one config runs on any cluster. Read strictly: an unknown or bad key is a usage
// error (exit 2) naming the key, the file and the line. Keys are documented in cluster/README.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slift::pipeline::cluster {

// What one kind of stage asks SLURM for.
struct StageResources {
  std::string partition;      // "" = the profile's partition
  std::string time;           // SLURM time limit ("30", "02:00:00", "1-00:00:00")
  int64_t tasks = 1;          // MPI ranks (simulate only; the other stages are one process)
  int64_t cpus_per_task = 1;  // threads per process
  std::string gres;           // GPU request, e.g. "gpu:1" (train only; "" = none)
};

struct Profile {
  std::string file;
  std::string partition, account;           // "" = the cluster's default
  std::vector<std::string> modules;         // `module load` lines, in order
  std::vector<std::string> sbatch_options;  // extra #SBATCH lines verbatim, e.g. "--qos=normal"
  std::string launcher = "srun";            // how simulate starts its ranks: srun | mpirun
  std::vector<std::string> launcher_args;   // extra arguments to the launcher
  int64_t array_throttle = 0;               // a sweep array's tasks running at once (sbatch --array=...%N); 0: no cap
  StageResources simulate, train, sample, evaluate, report;
};

// The stage kinds a profile configures, in pipeline order.
extern const std::vector<std::string> kStageKinds;  // simulate, train, sample, evaluate, report

Profile load_profile(const std::string& file);

// The kind of a stage by its name: "train:sl" and "label_dim=4/train:sl" -> train,
// "simulate@4c3e" -> simulate; a sweep's "summary" counts as report.
std::string stage_kind(const std::string& stage);
// The resources of a stage by its kind.
const StageResources& resources(const Profile& p, const std::string& stage);

}  // namespace slift::pipeline::cluster
