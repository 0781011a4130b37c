// The SVG chart writer (src/html/svg_chart.h): ticks, bar heights, log scale, panels, escaping, well-formed XML.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "html/svg_chart.h"
#include "support/xml_check.h"

namespace cnnzoo {
namespace {

struct Bar {
  std::string series, category;
  double value = 0, height = 0;
};

std::vector<Bar> bars_of(const std::string& svg) {
  const std::regex pattern(
      "<rect class=\"bar\" data-series=\"([^\"]*)\" data-category=\"([^\"]*)\" data-value=\"([^\"]*)\" "
      "[^>]*height=\"([0-9.]+)\"");
  std::vector<Bar> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), pattern); it != std::sregex_iterator(); ++it) {
    out.push_back({(*it)[1], (*it)[2], std::stod((*it)[3]), std::stod((*it)[4])});
  }
  return out;
}

TEST(SvgChart, NiceTicksCoverTheRangeInStepsOfOneTwoOrFive) {
  EXPECT_EQ(html::nice_ticks(0, 37.75), (std::vector<double>{0, 10, 20, 30, 40}));
  EXPECT_EQ(html::nice_ticks(0, 100), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  const std::vector<double> small = html::nice_ticks(0.062, 0.144);
  ASSERT_GE(small.size(), 3u);
  EXPECT_LE(small.front(), 0.062);
  EXPECT_GE(small.back(), 0.144);
  EXPECT_NEAR(small[1] - small[0], 0.02, 1e-12);
  EXPECT_EQ(html::nice_ticks(5, 5).front(), 5);  // a flat series still gets an axis
  EXPECT_EQ(html::log_ticks(23296, 37752832), (std::vector<double>{1e4, 1e5, 1e6, 1e7, 1e8}));
}

TEST(SvgChart, TickLabelsAreShortAndGroupThousands) {
  EXPECT_EQ(html::tick_label(0), "0");
  EXPECT_EQ(html::tick_label(2.5), "2.5");
  EXPECT_EQ(html::tick_label(0.06), "0.06");
  EXPECT_EQ(html::tick_label(37752832), "37,752,832");
  EXPECT_EQ(html::tick_label(1e8), "100,000,000");
}

TEST(SvgChart, BarHeightsAreProportionalToTheValues) {
  const std::string svg = html::svg_bar_chart({.title = "AlexNet MACs",
                                               .x_label = "layer",
                                               .y_label = "MACs (millions)",
                                               .categories = {"conv1", "conv2", "fc6"},
                                               .series = {{"MACs", {72.9, 223.9, 37.7}}}});
  EXPECT_EQ(test::xml_problem(svg), "");
  const std::vector<Bar> bars = bars_of(svg);
  ASSERT_EQ(bars.size(), 3u);
  for (const Bar& b : bars) EXPECT_NEAR(b.height / b.value, bars[0].height / bars[0].value, 1e-3) << b.category;
  EXPECT_EQ(bars[1].category, "conv2");
  // The axis reaches past the tallest bar, to the next nice tick (250): the bar fills 223.9/250 of it.
  EXPECT_NE(svg.find(">250</text>"), std::string::npos);
  EXPECT_NE(svg.find(">MACs (millions)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">AlexNet MACs</text>"), std::string::npos);
}

TEST(SvgChart, GroupedBarsHaveALegendAndAColourPerSeries) {
  const std::string svg = html::svg_bar_chart({.title = "t",
                                               .x_label = "x",
                                               .y_label = "y",
                                               .categories = {"a", "b"},
                                               .series = {{"one 5x5", {100, 100}}, {"two 3x3", {72, 72}}}});
  const std::vector<Bar> bars = bars_of(svg);
  ASSERT_EQ(bars.size(), 4u);
  EXPECT_NEAR(bars[2].height / bars[0].height, 0.72, 1e-4);
  EXPECT_NE(svg.find(">one 5x5</text>"), std::string::npos);
  EXPECT_NE(svg.find(">two 3x3</text>"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#0072B2\""), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#D55E00\""), std::string::npos);
}

TEST(SvgChart, LogScaleBarsAreProportionalToTheLogAndZeroDrawsNothing) {
  const std::string svg = html::svg_bar_chart({.title = "params",
                                               .x_label = "layer",
                                               .y_label = "parameters (log scale)",
                                               .categories = {"conv1", "pool", "fc6"},
                                               .series = {{"p", {23296, 0, 37752832}}},
                                               .log_scale = true});
  EXPECT_EQ(test::xml_problem(svg), "");
  const std::vector<Bar> bars = bars_of(svg);
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(bars[1].height, 0);
  // The axis runs from 10^4 to 10^8: a bar's height is log10(v / 10^4) quarters of it.
  const double per_decade = bars[2].height / std::log10(37752832 / 1e4);
  EXPECT_NEAR(bars[0].height, per_decade * std::log10(23296 / 1e4), 1e-2);
  EXPECT_NE(svg.find(">100,000,000</text>"), std::string::npos);
}

TEST(SvgChart, TextIsEscaped) {
  const std::string svg = html::svg_bar_chart({.title = "a<b & \"c\"",
                                               .x_label = "x <x>",
                                               .y_label = "y & z",
                                               .categories = {"<script>"},
                                               .series = {{"s'1", {1}}}});
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(svg.find("data-category=\"&lt;script&gt;\""), std::string::npos);
}

TEST(SvgChart, LineChartPanelsSideBySideWithDashedSeries) {
  html::LineChart chart{.title = "Figure 6", .x_label = "epoch", .y_label = "error (%)"};
  chart.panels = {{"plain",
                   {{.label = "plain-20 train", .x = {1, 2}, .y = {20, 10}, .dashed = true},
                    {.label = "plain-20 test", .x = {1, 2}, .y = {22, 12}}}},
                  {"ResNet", {{.label = "ResNet-20 train", .x = {1, 2}, .y = {18, 8}, .color = 1, .dashed = true}}}};
  const std::string svg = html::svg_line_chart(chart);
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_NE(svg.find(">plain</text>"), std::string::npos);
  EXPECT_NE(svg.find(">ResNet</text>"), std::string::npos);
  const std::regex polyline("<polyline class=\"series\" data-label=\"([^\"]*)\"[^>]*?(stroke-dasharray)?[^>]*/>");
  int lines = 0, dashed = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), polyline); it != std::sregex_iterator(); ++it) {
    ++lines;
    dashed += it->str().find("stroke-dasharray") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(lines, 3);
  EXPECT_EQ(dashed, 2);
  // The panels share the y axis: 8% and 22% are inside it, on nice ticks (5 .. 25).
  EXPECT_NE(svg.find(">25</text>"), std::string::npos);
  EXPECT_NE(svg.find(">error (%)</text>"), std::string::npos);
}

// Epochs and members are whole: a 3-epoch run is ticked 0, 1, 2, 3 and not at every half epoch; a series with
// fractions keeps the finer ticks.
TEST(SvgChart, WholeXValuesGetWholeTicks) {
  const auto tick_labels = [](std::vector<double> x) {
    html::LineChart chart{.title = "t", .x_label = "epoch", .y_label = "error (%)"};
    chart.panels = {{"p", {{.label = "s", .x = x, .y = std::vector<double>(x.size(), 70.0)}}}};
    const std::string svg = html::svg_line_chart(chart);
    std::vector<std::string> labels;
    const std::regex tick("<text x=\"[^\"]*\" y=\"[^\"]*\" text-anchor=\"middle\"[^>]*>([0-9.]+)</text>");
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tick); it != std::sregex_iterator(); ++it)
      labels.push_back((*it)[1]);
    return labels;
  };
  EXPECT_EQ(tick_labels({1, 2, 3}), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(tick_labels({0.5, 1, 1.5, 2, 2.5, 3}), (std::vector<std::string>{"0", "0.5", "1", "1.5", "2", "2.5", "3"}));
}

// One narrow panel under a long title: the picture widens to the title (about 9.5 pixels a character at 16 pixels
// bold, plus 24 each side), so that the title, centred, is not cut at the edges.
TEST(SvgChart, ALongTitleWidensANarrowChart) {
  const auto svg_width = [](const std::string& svg) {
    std::smatch m;
    if (!std::regex_search(svg, m, std::regex("<svg [^>]*width=\"([0-9]+)\""))) return -1;
    return std::stoi(m[1]);
  };
  html::LineChart chart{.title = std::string(80, 'T'), .x_label = "epoch", .y_label = "error (%)", .panel_width = 300};
  chart.panels = {{"one", {{.label = "a", .x = {1, 2}, .y = {1, 2}}}}};
  EXPECT_EQ(svg_width(html::svg_line_chart(chart)), 9.5 * 80 + 48);
  chart.title = "short";  // the panel's own width then: its 300 pixels, the y axis's margin and 24 on the right
  const int narrow = svg_width(html::svg_line_chart(chart));
  EXPECT_GT(narrow, 300 + 24);
  EXPECT_LT(narrow, 420);
}

TEST(SvgChart, BadDataIsRefused) {
  EXPECT_THROW(html::svg_bar_chart({.title = "t", .categories = {"a", "b"}, .series = {{"s", {1}}}}), std::exception);
  EXPECT_THROW(html::svg_bar_chart({.title = "t", .categories = {"a"}, .series = {{"s", {NAN}}}}), std::exception);
  html::LineChart chart{.title = "t"};
  chart.panels = {{"p", {{.label = "s", .x = {1, 2}, .y = {1}}}}};
  EXPECT_THROW(html::svg_line_chart(chart), std::exception);
}

}  // namespace
}  // namespace cnnzoo
