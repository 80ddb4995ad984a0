// The report's SVG plots: a log axis is honoured only when every value can go on it.
#include <gtest/gtest.h>

#include "pipeline/report/svg_plot.hpp"

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
