// The summary of a sweep: the chosen metrics of every run's metrics.json in one table
// (summary.md, summary.json) and plotted (summary.html), against the grid value or, with
// `summary.model: all`, every generated set against its cost.
#pragma once
#include <string>
#include <vector>

namespace slift::pipeline {

// What the summary reads: the runs of a sweep by their directories under output_dir.
struct SweepRuns {
  std::string name, output_dir, file;
  std::string x_key;                        // the grid key the summary plots against
  std::string model = "sl";                 // the metrics.json object the summary reads; "all": every set
  std::vector<std::string> metrics;         // keys of that object; none: the first run's headline
                                            // metrics (metrics.json "headline") and final_train_loss
  std::vector<std::string> run_ids;         // e.g. "label_dim=4"
  std::vector<std::string> x_values;        // the x_key value of each run (YAML text)
};

void write_summary(const SweepRuns& s);

}  // namespace slift::pipeline
