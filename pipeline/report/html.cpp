#include "pipeline/report/html.hpp"

#include <cstdio>

#include "core/version.hpp"

namespace slift::report {

static std::string num(const nlohmann::json& v) {
  if (!v.is_number()) return "&ndash;";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v.get<double>());
  return buf;
}

Page::Page(std::string title) : title_(std::move(title)) {}

void Page::close_figures() {
  if (in_figures_) body_ += "</div>\n", in_figures_ = false;
}
void Page::heading(const std::string& text) {
  close_figures();
  body_ += "<h2>" + text + "</h2>\n";
}
void Page::paragraph(const std::string& html) {
  close_figures();
  body_ += "<p>" + html + "</p>\n";
}
void Page::figure(const std::string& svg) {
  if (!in_figures_) body_ += "<div class='figs'>", in_figures_ = true;
  body_ += svg + "\n";
}

void Page::metrics_table(const nlohmann::json& m, const std::vector<std::string>& keys) {
  close_figures();
  body_ += "<table><tr><th></th>";
  for (const auto& k : keys) body_ += "<th>" + k + "</th>";
  body_ += "</tr>\n";
  for (const auto& [name, row] : m.items()) {
    if (!row.is_object() || !row.contains("per_time")) continue;
    body_ += "<tr><td><b>" + name + "</b></td>";
    for (const auto& k : keys)
      body_ += "<td>" + num(row.value(k, nlohmann::json())) +
               (row.contains(k + "_se") ? " &plusmn; " + num(row[k + "_se"]) : std::string()) + "</td>";
    body_ += "</tr>\n";
  }
  body_ += "</table>\n";
  for (const auto& [name, row] : m.items())
    if (row.is_object() && row.contains("training_warning"))
      body_ += "<p><b>Warning</b> (" + name + "): " + row["training_warning"].get<std::string>() + "</p>\n";
  if (m.contains("interpolation_ratio"))
    body_ += "<p>Interpolation ratio (SL final training loss / label-free loss): <b>" + num(m["interpolation_ratio"]) +
             "</b> &mdash; far below 1 means the labelled model fits its data and draws its spread from the labels.</p>\n";
}

void Page::throughput_table(const nlohmann::json& t) {
  close_figures();
  body_ += "<table><tr><th></th><th>trajectories / s</th><th>cores</th><th>/ solver</th></tr>\n";
  for (const auto& [name, row] : t.items())
    body_ += "<tr><td><b>" + name + "</b></td><td>" + num(row["trajectories_per_second"]) + "</td><td>" +
             num(row.value("cores", nlohmann::json())) + "</td><td>" +
             (name == "solver" ? std::string("1") : num(row.value("vs_solver", nlohmann::json()))) + "</td></tr>\n";
  body_ += "</table>\n";
}

void Page::conditional_table(const nlohmann::json& c, const std::vector<std::string>& cols) {
  close_figures();
  body_ += "<table><tr><th>state</th>";
  for (const auto& k : cols) body_ += "<th>" + k + "</th>";
  body_ += "</tr>\n";
  for (size_t i = 0; i < c["states"].size(); ++i) {
    body_ += "<tr><td>" + c["states"][i].dump() + "</td>";
    for (const auto& k : cols) body_ += "<td>" + num(c[k][i]) + "</td>";
    body_ += "</tr>\n";
  }
  body_ += "</table>\n";
}

std::string Page::html() const {
  std::string b = body_;
  if (in_figures_) b += "</div>\n";
  return "<!doctype html>\n<html><head><meta charset='utf-8'><title>" + title_ +
         "</title>\n<style>body{font-family:sans-serif;max-width:1400px;margin:20px auto;color:#222}"
         "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
         ".figs{display:flex;flex-wrap:wrap;gap:8px}</style></head>\n<body><h1>" +
         title_ + "</h1>\n" + b + "<p style='color:#888'>slift " + version() + " (" + git_commit() +
         ")</p></body></html>\n";
}

}  // namespace slift::report
