#include "pipeline/analysis/throughput.hpp"

#include <algorithm>
#include <filesystem>

#include "pipeline/analysis/records.hpp"
#include "pipeline/experiment.hpp"

namespace slift::pipeline {

nlohmann::json throughput(const Experiment& e) {
  nlohmann::json j = nlohmann::json::object();
  double solver = 0;  // per core
  const std::string timing = e.data_dir + "/simulate.json";
  if (std::filesystem::exists(timing)) {
    const SimulateRecord s = SimulateRecord::read(timing);
    if (s.seconds_per_trajectory) {
      const int cores = s.ranks * s.threads;
      solver = 1.0 / *s.seconds_per_trajectory / cores;
      j["solver"] = {{"trajectories_per_second", solver * cores},
                     {"cores", cores},
                     {"per_core", solver},
                     {"ranks", s.ranks},
                     {"threads", s.threads}};
    }
  }
  for (const auto& set : sample_sets(e)) {
    const SampleRecord s = SampleRecord::read(e.output_dir + "/samples/" + set.name + ".json");
    const double per_second = 1.0 / s.seconds_per_trajectory;
    const int64_t cores = std::max<int64_t>(1, s.threads);  // 0: the process's, counted as one
    j[set.name] = {{"trajectories_per_second", per_second}, {"cores", cores}, {"per_core", per_second / cores}};
    if (solver > 0) j[set.name]["vs_solver"] = per_second / cores / solver;
  }
  return j;
}

}  // namespace slift::pipeline
