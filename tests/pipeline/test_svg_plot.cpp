// The report's SVG plots: a log axis only when every value can go on it, and then labelled as
// one; round ticks; densities from zero; one y range across compared panels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "pipeline/analysis/report/svg_plot.hpp"

using slift::report::SvgPlot;

TEST(SvgPlot, LogAxisWhenEveryValueIsPositiveLinearOtherwise) {
  SvgPlot positive("p", "x", "y");
  positive.log_y(true);
  positive.line({0, 1, 2}, {1e-3, 1e-2, 1e-1}, "#000");
  // Ticks of a log axis over three decades: their labels are powers of ten.
  EXPECT_NE(positive.svg().find(">0.01<"), std::string::npos) << positive.svg();

  SvgPlot mixed("m", "x", "y");
  mixed.log_y(true);
  mixed.line({0, 1, 2}, {-0.5, 0.2, 0.9}, "#000");
  const std::string svg = mixed.svg();
  // Linear: a negative tick label, and the lowest point drawn inside the plot (not at 1e-300).
  EXPECT_NE(svg.find(">-0."), std::string::npos) << svg;
  EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
}

// Tick labels of a plot, in order of appearance: the text of every <text> element that parses
// as a number.
static std::vector<double> tick_values(const std::string& svg) {
  std::vector<double> v;
  for (size_t p = 0; (p = svg.find("<text", p)) != std::string::npos; ++p) {
    const size_t a = svg.find('>', p) + 1, b = svg.find('<', a);
    const std::string t = svg.substr(a, b - a);
    char* end = nullptr;
    const double x = std::strtod(t.c_str(), &end);
    if (!t.empty() && end == t.c_str() + t.size()) v.push_back(x);
  }
  return v;
}

// The y tick labels (right-aligned numbers) of a plot.
static std::vector<double> y_ticks(const std::string& svg) {
  std::vector<double> v;
  for (size_t p = 0; (p = svg.find("text-anchor='end'>", p)) != std::string::npos; ++p)
    v.push_back(std::strtod(svg.c_str() + svg.find('>', p) + 1, nullptr));
  return v;
}

TEST(SvgPlot, TicksAreRoundAndDensitiesStartAtZero) {
  SvgPlot p("h", "x", "density");
  p.histogram({0.904, 0.91, 0.95, 0.97, 1.0}, 0.9, 1.0, 5, "#000");
  const std::vector<double> ticks = y_ticks(p.svg());
  ASSERT_GE(ticks.size(), 3u) << p.svg();
  EXPECT_EQ(ticks.front(), 0.0) << "the density axis starts at 0: " << p.svg();
  // Evenly spaced by 1, 2 or 5 times a power of ten, every tick a multiple of that step.
  const double step = ticks[1] - ticks[0], mag = std::pow(10.0, std::floor(std::log10(step)));
  const double m = step / mag;
  EXPECT_TRUE(std::abs(m - 1) < 1e-9 || std::abs(m - 2) < 1e-9 || std::abs(m - 5) < 1e-9) << step;
  for (size_t i = 0; i < ticks.size(); ++i) {
    EXPECT_NEAR(ticks[i], ticks[0] + i * step, 1e-9 * step) << p.svg();
    EXPECT_NEAR(ticks[i] / step, std::round(ticks[i] / step), 1e-9) << ticks[i];
  }
}

TEST(SvgPlot, LogAxisIsLabelledAsSuch) {
  SvgPlot p("p", "t", "W2");
  p.log_y(true);
  p.line({0, 1}, {2e-3, 3e-2}, "#000");
  EXPECT_NE(p.svg().find("W2 (log scale)"), std::string::npos);
  SvgPlot q("q", "t", "W2");
  q.line({0, 1}, {2e-3, 3e-2}, "#000");
  EXPECT_EQ(q.svg().find("log scale"), std::string::npos);
}

TEST(SvgPlot, ComparedPanelsShareTheirYRange) {
  std::vector<SvgPlot> panels;
  panels.emplace_back("narrow", "t", "x");
  panels.back().line({0, 1}, {-0.1, 0.1}, "#000");
  panels.emplace_back("wide", "t", "x");
  panels.back().line({0, 1}, {-2, 3}, "#000");
  slift::report::share_y_range(panels);
  const auto a = tick_values(panels[0].svg()), b = tick_values(panels[1].svg());
  EXPECT_EQ(a, b) << "same axes, so a collapsed model looks collapsed";
  EXPECT_LE(*std::min_element(a.begin(), a.end()), -2);
  EXPECT_GE(*std::max_element(a.begin(), a.end()), 3);
}
