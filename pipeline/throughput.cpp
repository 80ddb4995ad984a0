#include "pipeline/throughput.hpp"

#include <filesystem>

#include "pipeline/experiment_stages.hpp"
#include "pipeline/json_file.hpp"

namespace slift::pipeline {

nlohmann::json throughput(const Experiment& e) {
  nlohmann::json j = nlohmann::json::object();
  double solver = 0;
  const std::string timing = e.data_dir + "/simulate.json";
  if (std::filesystem::exists(timing)) {
    const nlohmann::json s = read_json(timing);
    if (s.contains("seconds_per_trajectory")) {
      solver = 1.0 / s["seconds_per_trajectory"].get<double>();
      j["solver"] = {{"trajectories_per_second", solver},
                     {"cores", s["ranks"].get<int>() * s["threads"].get<int>()},
                     {"ranks", s["ranks"]},
                     {"threads", s["threads"]}};
    }
  }
  for (const auto& set : sample_sets(e)) {
    const nlohmann::json s = read_json(e.output_dir + "/samples/" + set.name + ".json");
    const double per_second = 1.0 / s["seconds_per_trajectory"].get<double>();
    j[set.name] = {{"trajectories_per_second", per_second}, {"cores", s.value("threads", 0)}};
    if (solver > 0) j[set.name]["vs_solver"] = per_second / solver;
  }
  return j;
}

}  // namespace slift::pipeline
