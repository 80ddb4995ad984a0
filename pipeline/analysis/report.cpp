#include "pipeline/analysis/report.hpp"


#include "core/atomic_file.hpp"
#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "pipeline/analysis/records.hpp"
#include "pipeline/analysis/report/fields_report.hpp"
#include "pipeline/analysis/report/states_report.hpp"

namespace slift::pipeline {

void report_stage(const Experiment& e) {
  const nlohmann::json metrics = RunMetrics::read(e.output_dir).json();
  std::string kind = DatasetReader(data_path(e, "test")).header().kind;
  if (kind != "states" && kind != "fields")
    usage_error("reports of '" + kind + "' datasets are not available in this version yet");
  std::string html = kind == "states" ? report::states_report(e, metrics) : report::fields_report(e, metrics);
  std::string path = e.output_dir + "/report/index.html";
  write_file_atomic(path, html);
  log::info("report: " + path);
}

}  // namespace slift::pipeline
