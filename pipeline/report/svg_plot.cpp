#include "pipeline/report/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace slift::report {

const char* model_color(const std::string& name) {
  if (name == "sl") return "#d62728";
  if (name == "deterministic") return "#1f77b4";
  if (name.rfind("ardm", 0) == 0) return "#2ca02c";
  if (name == "sampling_floor") return "#7f7f7f";
  if (name == "data_floor") return "#9467bd";
  return "#ff7f0e";
}

SvgPlot::SvgPlot(std::string title, std::string xlabel, std::string ylabel, int width, int height)
    : title_(std::move(title)), xlabel_(std::move(xlabel)), ylabel_(std::move(ylabel)), w_(width), h_(height) {}

void SvgPlot::line(const std::vector<double>& x, const std::vector<double>& y, const std::string& color,
                   const std::string& label, double stroke, double opacity, bool dashed) {
  items_.push_back({Item::Line, x, y, {}, color, label, stroke, opacity, dashed});
}

void SvgPlot::band(const std::vector<double>& x, const std::vector<double>& lo, const std::vector<double>& hi,
                   const std::string& color, double opacity) {
  items_.push_back({Item::Band, x, lo, hi, color, "", 0, opacity, false});
}

void SvgPlot::histogram(const std::vector<double>& values, double lo, double hi, int bins, const std::string& color,
                        const std::string& label) {
  std::vector<double> counts(bins, 0);
  const double width = (hi - lo) / bins;
  for (double v : values) {
    int b = static_cast<int>(std::floor((v - lo) / width));
    if (b >= 0 && b < bins) counts[b] += 1;
    else if (v == hi) counts[bins - 1] += 1;
  }
  std::vector<double> x, y;
  for (int b = 0; b < bins; ++b) {
    double d = values.empty() ? 0 : counts[b] / (values.size() * width);
    x.push_back(lo + b * width), y.push_back(d);
    x.push_back(lo + (b + 1) * width), y.push_back(d);
  }
  line(x, y, color, label, 1.5);
}

static std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string SvgPlot::svg() const {
  const double ml = 58, mr = 12, mt = 26, mb = 40;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  // A log axis only when every value is positive (a correlation can be negative): linear otherwise.
  bool log_y = log_y_;
  for (const auto& it : items_)
    for (const auto* ys : {&it.y, &it.y2})
      for (double v : *ys) log_y = log_y && !(std::isfinite(v) && v <= 0);
  auto ty = [&](double v) { return log_y ? std::log10(std::max(v, 1e-300)) : v; };
  for (const auto& it : items_) {
    for (size_t i = 0; i < it.x.size(); ++i) {
      x0 = std::min(x0, it.x[i]), x1 = std::max(x1, it.x[i]);
      for (double v : {it.y[i], it.kind == Item::Band ? it.y2[i] : it.y[i]})
        if (std::isfinite(v)) y0 = std::min(y0, ty(v)), y1 = std::max(y1, ty(v));
    }
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  double pad = 0.05 * (y1 - y0);
  y0 -= pad, y1 += pad;
  const double pw = w_ - ml - mr, ph = h_ - mt - mb;
  auto px = [&](double v) { return ml + (v - x0) / (x1 - x0) * pw; };
  auto py = [&](double v) { return mt + (1 - (ty(v) - y0) / (y1 - y0)) * ph; };

  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(w_) + "' height='" +
                  std::to_string(h_) + "' font-family='sans-serif' font-size='11'>";
  s += "<rect width='100%' height='100%' fill='white'/>";
  s += "<text x='" + fmt(w_ / 2.0) + "' y='16' text-anchor='middle' font-size='13'>" + title_ + "</text>";
  s += "<rect x='" + fmt(ml) + "' y='" + fmt(mt) + "' width='" + fmt(pw) + "' height='" + fmt(ph) +
       "' fill='none' stroke='#999'/>";
  for (int k = 0; k <= 4; ++k) {  // ticks
    double xv = x0 + k * (x1 - x0) / 4, yv = y0 + k * (y1 - y0) / 4;
    s += "<text x='" + fmt(px(xv)) + "' y='" + fmt(mt + ph + 14) + "' text-anchor='middle'>" + fmt(xv) + "</text>";
    double ylab = log_y ? std::pow(10.0, yv) : yv;
    double ypix = mt + (1 - (yv - y0) / (y1 - y0)) * ph;
    s += "<text x='" + fmt(ml - 4) + "' y='" + fmt(ypix + 4) + "' text-anchor='end'>" + fmt(ylab) + "</text>";
    s += "<line x1='" + fmt(ml) + "' x2='" + fmt(ml + pw) + "' y1='" + fmt(ypix) + "' y2='" + fmt(ypix) +
         "' stroke='#eee'/>";
  }
  s += "<text x='" + fmt(ml + pw / 2) + "' y='" + fmt(h_ - 6.0) + "' text-anchor='middle'>" + xlabel_ + "</text>";
  s += "<text transform='translate(12," + fmt(mt + ph / 2) + ") rotate(-90)' text-anchor='middle'>" + ylabel_ + "</text>";
  for (const auto& it : items_) {
    std::string pts;
    if (it.kind == Item::Band) {
      for (size_t i = 0; i < it.x.size(); ++i) pts += fmt(px(it.x[i])) + "," + fmt(py(it.y2[i])) + " ";
      for (size_t i = it.x.size(); i-- > 0;) pts += fmt(px(it.x[i])) + "," + fmt(py(it.y[i])) + " ";
      s += "<polygon points='" + pts + "' fill='" + it.color + "' fill-opacity='" + fmt(it.opacity) + "' stroke='none'/>";
    } else {
      for (size_t i = 0; i < it.x.size(); ++i) pts += fmt(px(it.x[i])) + "," + fmt(py(it.y[i])) + " ";
      s += "<polyline points='" + pts + "' fill='none' stroke='" + it.color + "' stroke-width='" + fmt(it.stroke) +
           "' stroke-opacity='" + fmt(it.opacity) + "'" + (it.dashed ? " stroke-dasharray='5,3'" : "") + "/>";
    }
  }
  int row = 0;  // legend
  for (const auto& it : items_) {
    if (it.label.empty()) continue;
    double ly = mt + 12 + 14 * row++;
    s += "<line x1='" + fmt(ml + pw - 110) + "' x2='" + fmt(ml + pw - 92) + "' y1='" + fmt(ly - 4) + "' y2='" +
         fmt(ly - 4) + "' stroke='" + it.color + "' stroke-width='2'" + (it.dashed ? " stroke-dasharray='5,3'" : "") + "/>";
    s += "<text x='" + fmt(ml + pw - 88) + "' y='" + fmt(ly) + "'>" + it.label + "</text>";
  }
  return s + "</svg>";
}

}  // namespace slift::report
