// A small SVG plot: lines, shaded bands and step histograms on linear (or log-y) axes, enough
// for the report to be self-contained HTML without a plotting library or a script: ticks at
// round values (1, 2, 5 x 10^k; decades on a log axis, whose label says so), densities from 0,
// and a y range that compared panels can share. Chosen over gnuplot (a run-time package and a
// process per plot for the report stage) and over a JavaScript chart library inlined in the page
// (a page that shows nothing without its script): the plots here need little more than this.
#pragma once
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace slift::report {

class SvgPlot {
 public:
  SvgPlot(std::string title, std::string xlabel, std::string ylabel, int width = 440, int height = 290);
  void line(const std::vector<double>& x, const std::vector<double>& y, const std::string& color,
            const std::string& label = "", double stroke = 1.6, double opacity = 1.0, bool dashed = false);
  void band(const std::vector<double>& x, const std::vector<double>& lo, const std::vector<double>& hi,
            const std::string& color, double opacity = 0.18);
  // Density histogram over [lo, hi] with `bins` bins, drawn as a step line.
  void histogram(const std::vector<double>& values, double lo, double hi, int bins, const std::string& color,
                 const std::string& label = "");
  void log_y(bool on) { log_y_ = on; }  // honoured when every value is positive
  // A fixed y range (data units), e.g. the same for every panel of a comparison.
  void y_range(double lo, double hi) { y_lo_ = lo, y_hi_ = hi; }
  // The y range this plot would choose by itself (union it over panels, then y_range()).
  std::pair<double, double> data_y_range() const;
  std::string svg() const;

 private:
  struct Item {
    enum Kind { Line, Band } kind;
    std::vector<double> x, y, y2;
    std::string color, label;
    double stroke, opacity;
    bool dashed;
  };
  std::string title_, xlabel_, ylabel_;
  int w_, h_;
  bool log_y_ = false, nonnegative_ = false;  // nonnegative: histograms (densities start at 0)
  double y_lo_ = NAN, y_hi_ = NAN;
  bool use_log_y() const;
  std::vector<Item> items_;
};

// Gives every panel of a comparison the same y range (the union of their own).
void share_y_range(std::vector<SvgPlot>& panels);

// Colours used for the same thing in every plot.
inline const char* kTruthColor = "#222222";
const char* model_color(const std::string& name);

}  // namespace slift::report
