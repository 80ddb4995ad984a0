#include "pipeline/report.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "pipeline/report/fields_report.hpp"
#include "pipeline/report/states_report.hpp"

namespace slift::pipeline {

void report_stage(const Experiment& e) {
  std::ifstream in(e.output_dir + "/metrics.json");
  if (!in) runtime_error("no metrics.json in " + e.output_dir + ": run the evaluate stage first");
  nlohmann::json metrics = nlohmann::json::parse(in);
  std::string kind = DatasetReader(data_path(e, "test")).header().kind;
  if (kind != "states" && kind != "fields")
    usage_error("reports of '" + kind + "' datasets are not available in this version yet");
  std::string html = kind == "states" ? report::states_report(e, metrics) : report::fields_report(e, metrics);
  std::string path = e.output_dir + "/report/index.html";
  write_file_atomic(path, html);
  log::info("report: " + path);
}

}  // namespace slift::pipeline
