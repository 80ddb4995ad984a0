// A self-contained HTML page: headings, paragraphs, inline SVG figures and metric tables.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace slift::report {

class Page {
 public:
  explicit Page(std::string title);
  void heading(const std::string& text);
  void paragraph(const std::string& html);
  void figure(const std::string& svg);
  // Rows: every generated set and floor in metrics.json; columns: the given metric keys.
  void metrics_table(const nlohmann::json& metrics, const std::vector<std::string>& keys);
  // metrics.json's "throughput": trajectories per second of the solver and of each generated set
  // on this machine, with the cores each used and the ratio to the solver.
  void throughput_table(const nlohmann::json& throughput);
  // Rows: the conditional-check states; columns: the given sets.
  void conditional_table(const nlohmann::json& conditional, const std::vector<std::string>& columns);
  std::string html() const;

 private:
  std::string title_, body_;
  bool in_figures_ = false;
  void close_figures();
};

}  // namespace slift::report
