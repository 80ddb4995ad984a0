// A self-contained HTML page: headings, paragraphs, inline SVG figures and metric tables.

// SL interpolates when its final training loss is at most this share of the label-free model's
// (paper section 3.4; good runs here reach 0.0007-0.08, a failed flow run 0.61).
inline constexpr double kInterpolationRatio = 0.1;
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace slift::report {

// Text as HTML (and SVG) shows it: & < > " ' escaped. Everything user-given (the config's name,
// names read from data files, grid values, messages) goes through it; the page's own markup does not.
std::string escape(const std::string& text);

class Page {
 public:
  explicit Page(const std::string& title);  // plain text
  void heading(const std::string& text);
  void paragraph(const std::string& html);
  void figure(const std::string& svg);
  // Whether Stochastic Lifting worked, said first: a warning box when SL did not reach the
  // interpolation regime or does worse than the label-free model on one of the headline metrics.
  void verdict(const nlohmann::json& metrics, const std::vector<std::string>& headline);
  // Rows: the given metric keys; columns: every generated set, then the floors apart.
  void metrics_table(const nlohmann::json& metrics, const std::vector<std::string>& keys);
  // metrics.json's "throughput": trajectories per second of the solver and of each generated set
  // on this machine, the cores each used, and per core (the comparison at equal cores).
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
