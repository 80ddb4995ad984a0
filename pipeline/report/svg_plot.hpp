// A small SVG plot: lines, shaded bands and step histograms on linear (or log-y) axes, enough
// for the report to be self-contained HTML without a plotting library.
#pragma once
#include <string>
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
  bool log_y_ = false;
  std::vector<Item> items_;
};

// Colours used for the same thing in every plot.
inline const char* kTruthColor = "#222222";
const char* model_color(const std::string& name);

}  // namespace slift::report
