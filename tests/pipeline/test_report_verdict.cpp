// The report says first whether Stochastic Lifting worked: a warning when SL did not interpolate
// or does worse than the label-free model, a plain confirmation otherwise.
#include <gtest/gtest.h>

#include "pipeline/analysis/report/html.hpp"

using slift::report::Page;

namespace {
std::string verdict_of(double ratio, double sl, double det) {
  nlohmann::json m = {{"interpolation_ratio", ratio}, {"sl", {{"wct", sl}}}, {"deterministic", {{"wct", det}}}};
  Page p("t");
  p.verdict(m, {"wct"});
  return p.html();
}
}  // namespace

TEST(ReportVerdict, WarnsWhenSlDidNotInterpolate) {
  const std::string html = verdict_of(0.61, 0.05, 0.08);
  EXPECT_NE(html.find("class='warn'"), std::string::npos) << html;
  EXPECT_NE(html.find("not</b> reach the interpolation regime"), std::string::npos) << html;
}

TEST(ReportVerdict, WarnsWhenSlIsWorseThanTheLabelFreeModel) {
  // The failed flow run: SL's WCT 0.43 against the label-free model's 0.078.
  const std::string html = verdict_of(0.02, 0.43, 0.078);
  EXPECT_NE(html.find("class='warn'"), std::string::npos) << html;
  EXPECT_NE(html.find("<b>worse</b>"), std::string::npos) << html;
}

TEST(ReportVerdict, ConfirmsAGoodRunWithoutWarning) {
  const std::string html = verdict_of(0.03, 0.05, 0.14);
  EXPECT_EQ(html.find("class='warn'"), std::string::npos) << html;
  EXPECT_NE(html.find("class='ok'"), std::string::npos) << html;
}
