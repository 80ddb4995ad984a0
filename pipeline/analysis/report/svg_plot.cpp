#include "pipeline/analysis/report/svg_plot.hpp"

#include "pipeline/analysis/report/html.hpp"

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

void share_y_range(std::vector<SvgPlot>& panels) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& p : panels) {
    auto [a, b] = p.data_y_range();
    lo = std::min(lo, a), hi = std::max(hi, b);
  }
  if (std::isfinite(lo))
    for (auto& p : panels) p.y_range(lo, hi);
}

SvgPlot::SvgPlot(std::string title, std::string xlabel, std::string ylabel, int width, int height)
    : title_(escape(title)), xlabel_(escape(xlabel)), ylabel_(escape(ylabel)), w_(width), h_(height) {}

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
  nonnegative_ = true;
}

static std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

namespace {

// Round tick values covering [lo, hi]: about four steps of 1, 2 or 5 x 10^k.
std::vector<double> nice_ticks(double lo, double hi) {
  const double raw = (hi - lo) / 4, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step)
    t.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  return t;
}

// A tick label: 20, 0.05, 1e-06 (six significant digits hide the rounding of k * step).
std::string tick_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

bool SvgPlot::use_log_y() const {
  // A log axis only when every value is positive (a correlation can be negative): linear otherwise.
  bool log_y = log_y_;
  for (const auto& it : items_)
    for (const auto* ys : {&it.y, &it.y2})
      for (double v : *ys) log_y = log_y && !(std::isfinite(v) && v <= 0);
  return log_y;
}

std::pair<double, double> SvgPlot::data_y_range() const {
  double y0 = std::numeric_limits<double>::infinity(), y1 = -y0;
  for (const auto& it : items_)
    for (const auto* ys : {&it.y, &it.y2})
      for (double v : *ys)
        if (std::isfinite(v)) y0 = std::min(y0, v), y1 = std::max(y1, v);
  if (nonnegative_) y0 = 0;
  return {y0, y1};
}

std::string SvgPlot::svg() const {
  const double ml = 58, mr = 12, mt = 26, mb = 40;
  const bool log_y = use_log_y();
  auto ty = [&](double v) { return log_y ? std::log10(std::max(v, 1e-300)) : v; };
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0;
  for (const auto& it : items_)
    for (double v : it.x) x0 = std::min(x0, v), x1 = std::max(x1, v);
  auto [ylo, yhi] = std::isfinite(y_lo_) ? std::pair{y_lo_, y_hi_} : data_y_range();
  if (!std::isfinite(x0)) x0 = 0, x1 = 1;
  if (!std::isfinite(ylo)) ylo = log_y ? 0.1 : 0, yhi = 1;
  if (x1 == x0) x1 = x0 + 1;
  double y0 = ty(ylo), y1 = ty(yhi);
  if (y1 == y0) y1 = y0 + 1;
  // The y axis ends on ticks: whole decades on a log axis, round values on a linear one.
  std::vector<double> yticks;  // in axis units (log10 on a log axis)
  if (log_y) {
    // At most five decades: values far below (a floor at 1e-10 while models sit at 1e-2) are
    // drawn on the bottom edge instead of squeezing the rest.
    y1 = std::ceil(y1), y0 = std::max(std::floor(y0), y1 - 5);
    if (y1 <= y0) y1 = y0 + 1;
    for (double d = y0; d <= y1; ++d) yticks.push_back(d);
  } else {
    yticks = nice_ticks(y0, y1);
    const double step = yticks.size() > 1 ? yticks[1] - yticks[0] : 1;
    y0 = std::min(y0, std::floor(y0 / step + 1e-9) * step), y1 = std::max(y1, std::ceil(y1 / step - 1e-9) * step);
    yticks = nice_ticks(y0, y1);
  }
  const double pw = w_ - ml - mr, ph = h_ - mt - mb;
  auto px = [&](double v) { return ml + (v - x0) / (x1 - x0) * pw; };
  auto py_axis = [&](double a) { return mt + (1 - (a - y0) / (y1 - y0)) * ph; };
  auto py = [&](double v) { return py_axis(std::clamp(ty(v), y0, y1)); };

  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(w_) + "' height='" +
                  std::to_string(h_) + "' font-family='sans-serif' font-size='11'>";
  s += "<rect width='100%' height='100%' fill='white'/>";
  s += "<text x='" + fmt(w_ / 2.0) + "' y='16' text-anchor='middle' font-size='13'>" + title_ + "</text>";
  s += "<rect x='" + fmt(ml) + "' y='" + fmt(mt) + "' width='" + fmt(pw) + "' height='" + fmt(ph) +
       "' fill='none' stroke='#999'/>";
  for (double xv : nice_ticks(x0, x1))
    s += "<text x='" + fmt(px(xv)) + "' y='" + fmt(mt + ph + 14) + "' text-anchor='middle'>" + tick_label(xv) + "</text>";
  for (double a : yticks) {
    const double ypix = py_axis(a);
    s += "<text x='" + fmt(ml - 4) + "' y='" + fmt(ypix + 4) + "' text-anchor='end'>" +
         tick_label(log_y ? std::pow(10.0, a) : a) + "</text>";
    s += "<line x1='" + fmt(ml) + "' x2='" + fmt(ml + pw) + "' y1='" + fmt(ypix) + "' y2='" + fmt(ypix) +
         "' stroke='#eee'/>";
  }
  s += "<text x='" + fmt(ml + pw / 2) + "' y='" + fmt(h_ - 6.0) + "' text-anchor='middle'>" + xlabel_ + "</text>";
  s += "<text transform='translate(12," + fmt(mt + ph / 2) + ") rotate(-90)' text-anchor='middle'>" + ylabel_ +
       (log_y ? " (log scale)" : "") + "</text>";
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
  int rows = 0;  // legend, on a white box so that it stays readable over the lines
  size_t longest = 0;
  for (const auto& it : items_) rows += !it.label.empty(), longest = std::max(longest, it.label.size());
  const double box = std::max(112.0, 30.0 + 6.0 * static_cast<double>(longest));  // about 6 px per character
  if (rows)
    s += "<rect x='" + fmt(ml + pw - box - 2) + "' y='" + fmt(mt + 2) + "' width='" + fmt(box) + "' height='" +
         fmt(14.0 * rows + 4) + "' fill='white' fill-opacity='0.85' stroke='#ddd'/>";
  int row = 0;
  for (const auto& it : items_) {
    if (it.label.empty()) continue;
    double ly = mt + 12 + 14 * row++;
    s += "<line x1='" + fmt(ml + pw - box + 2) + "' x2='" + fmt(ml + pw - box + 20) + "' y1='" + fmt(ly - 4) + "' y2='" +
         fmt(ly - 4) + "' stroke='" + it.color + "' stroke-width='2'" + (it.dashed ? " stroke-dasharray='5,3'" : "") + "/>";
    s += "<text x='" + fmt(ml + pw - box + 24) + "' y='" + fmt(ly) + "'>" + escape(it.label) + "</text>";
  }
  return s + "</svg>";
}

}  // namespace slift::report
