#include "pipeline/analysis/report/html.hpp"

#include <cstdio>

#include "core/version.hpp"

namespace slift::report {

static std::string num(const nlohmann::json& v) {
  if (!v.is_number()) return "&ndash;";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v.get<double>());
  return buf;
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Page::Page(const std::string& title) : title_(escape(title)) {}

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

void Page::verdict(const nlohmann::json& m, const std::vector<std::string>& headline) {
  close_figures();
  std::vector<std::string> problems, fine;
  if (m.contains("interpolation_ratio")) {
    const double r = m["interpolation_ratio"].get<double>();
    const std::string text = "SL's final training loss is " + num(r) + " of the label-free model's";
    if (r > kInterpolationRatio)
      problems.push_back(text + " (above " + num(kInterpolationRatio) +
                         "): SL did <b>not</b> reach the interpolation regime, so its spread does not come from the "
                         "labels. Size the data, the network and the training steps together (fewer trajectories, "
                         "more steps or a wider network).");
    else
      fine.push_back(text + ": it interpolates its training data, as the method needs.");
  }
  if (m.contains("sl") && m.contains("deterministic"))
    for (const auto& k : headline) {
      const auto a = m["sl"].value(k, nlohmann::json()), b = m["deterministic"].value(k, nlohmann::json());
      if (!a.is_number() || !b.is_number()) continue;
      const std::string text = "SL's " + k + " is " + num(a) + " against the label-free model's " + num(b);
      if (a.get<double>() > b.get<double>()) problems.push_back(text + ": SL does <b>worse</b> than the same network without labels.");
      else fine.push_back(text + ".");
    }
  if (problems.empty() && fine.empty()) return;
  auto list = [](const std::vector<std::string>& items) {
    std::string s = "<ul>";
    for (const auto& i : items) s += "<li>" + i + "</li>";
    return s + "</ul>";
  };
  if (!problems.empty())
    body_ += "<div class='warn'><b>Warning: Stochastic Lifting did not work as intended in this run.</b>" + list(problems) +
             (fine.empty() ? std::string() : "What held:" + list(fine)) + "</div>\n";
  else
    body_ += "<div class='ok'><b>Stochastic Lifting worked as intended in this run.</b>" + list(fine) + "</div>\n";
}

void Page::metrics_table(const nlohmann::json& m, const std::vector<std::string>& keys) {
  close_figures();
  std::vector<std::string> models, floors;
  for (const auto& [name, row] : m.items())
    if (row.is_object() && row.contains("per_time")) (name.find("floor") != std::string::npos ? floors : models).push_back(name);
  std::vector<std::string> columns = models;
  columns.insert(columns.end(), floors.begin(), floors.end());
  auto edge = [&](size_t i) { return i == models.size() ? std::string(" class='floor'") : std::string(); };
  body_ += "<div class='scroll'><table><tr><th></th><th colspan='" + std::to_string(models.size()) +
           "'>generated sets</th><th colspan='" + std::to_string(floors.size()) +
           "' class='floor'>floors (ground truth against ground truth)</th></tr>\n<tr><th>metric</th>";
  for (size_t i = 0; i < columns.size(); ++i) body_ += "<th" + edge(i) + ">" + escape(columns[i]) + "</th>";
  body_ += "</tr>\n";
  for (const auto& k : keys) {
    std::string row = "<tr><td class='key'>" + escape(k) + "</td>";
    bool any = false;
    for (size_t i = 0; i < columns.size(); ++i) {
      const auto& r = m[columns[i]];
      const auto v = r.value(k, nlohmann::json());
      any = any || v.is_number();
      row += "<td" + edge(i) + ">" + num(v) + (r.contains(k + "_se") ? " &plusmn; " + num(r[k + "_se"]) : std::string()) + "</td>";
    }
    if (any) body_ += row + "</tr>\n";
  }
  body_ += "</table></div>\n";
  for (const auto& [name, row] : m.items())
    if (row.is_object() && row.contains("training_warning"))
      body_ += "<p class='warn'><b>Warning</b> (" + escape(name) + "): " + escape(row["training_warning"].get<std::string>()) +
               "</p>\n";
}

void Page::throughput_table(const nlohmann::json& t) {
  close_figures();
  body_ += "<table><tr><th></th><th>trajectories / s</th><th>cores</th><th>per core</th><th>/ solver, per core</th></tr>\n";
  for (const auto& [name, row] : t.items())
    body_ += "<tr><td class='key'>" + escape(name) + "</td><td>" + num(row["trajectories_per_second"]) + "</td><td>" +
             num(row.value("cores", nlohmann::json())) + "</td><td>" + num(row.value("per_core", nlohmann::json())) +
             "</td><td>" + (name == "solver" ? std::string("1") : num(row.value("vs_solver", nlohmann::json()))) +
             "</td></tr>\n";
  body_ += "</table>\n";
}

void Page::conditional_table(const nlohmann::json& c, const std::vector<std::string>& cols) {
  close_figures();
  body_ += "<table><tr><th>state</th>";
  for (const auto& k : cols) body_ += "<th>" + escape(k) + "</th>";
  body_ += "</tr>\n";
  for (size_t i = 0; i < c["states"].size(); ++i) {
    std::string state;
    for (const auto& v : c["states"][i]) state += (state.empty() ? "(" : ", ") + num(v);
    body_ += "<tr><td>" + state + ")</td>";
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
         "td.key{text-align:left;font-weight:bold}.floor{border-left:3px solid #888}.scroll{overflow-x:auto}"
         ".warn{background:#fde8e8;border:2px solid #c0392b;padding:6px 12px;margin:10px 0}"
         ".ok{background:#e8f6ec;border:1px solid #2e8b57;padding:6px 12px;margin:10px 0}"
         "figure{margin:0;text-align:center;font-size:11px}"
         ".figs{display:flex;flex-wrap:wrap;gap:8px}</style></head>\n<body><h1>" +
         title_ + "</h1>\n" + b + "<p style='color:#888'>slift " + version() + " (" + git_commit() +
         ")</p></body></html>\n";
}

}  // namespace slift::report
