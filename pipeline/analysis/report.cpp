#include "pipeline/analysis/report.hpp"

#include "core/atomic_file.hpp"
#include "core/dataset.hpp"
#include "core/log.hpp"
#include "pipeline/analysis/data_kind.hpp"
#include "pipeline/analysis/records.hpp"

namespace slift::pipeline {

void report_stage(const Experiment& e) {
  const nlohmann::json metrics = RunMetrics::read(e.output_dir).json();
  const std::string html = data_kind(DatasetReader(data_path(e, "test")).header().kind).report(e, metrics);
  std::string path = e.output_dir + "/report/index.html";
  write_file_atomic(path, html);
  log::info("report: " + path);
}

}  // namespace slift::pipeline
