// Standalone SVG charts, hand-written (no script), for figures that must read the same in a browser, a
// paper or a slide: a title, axes with labels (units in the label), nice ticks, a legend. Bar charts
// (grouped, optionally on a log scale for spans such as AlexNet's 0-to-38-million parameters) and line
// charts in one or more panels side by side (the ResNet paper's Figure 6: plain nets left, residual nets
// right, training error dashed and test error solid).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cnnzoo::html {

/// Tick positions for an axis over [lo, hi]: steps of 1, 2 or 5 x 10^k, about `target` of them, the first
/// at or below lo and the last at or above hi (so the data lie inside the axis).
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

/// Powers of ten covering [lo, hi] (lo > 0): 10^floor(log10 lo) .. 10^ceil(log10 hi).
std::vector<double> log_ticks(double lo, double hi);

/// A tick's text: as short as its value allows ("0", "2.5", "1e+06" never: "1,000,000").
std::string tick_label(double value);

struct BarSeries {
  std::string label{};           ///< in the legend
  std::vector<double> values{};  ///< one per category; a value <= 0 on a log scale draws no bar
};

struct BarChart {
  std::string title{};
  std::string x_label{};  ///< "layer"
  std::string y_label{};  ///< with its unit: "parameters (millions)"
  std::vector<std::string> categories;
  std::vector<BarSeries> series;  ///< several: grouped bars side by side within a category
  bool log_scale = false;
  int width = 760, height = 420;  ///< pixels
};

/// The chart as a standalone SVG document. Each bar is a <rect class="bar" data-series="S"
/// data-category="C" data-value="V">; its height is proportional to the value (or to its log).
std::string svg_bar_chart(const BarChart& chart);

struct LineSeries {
  std::string label{};
  std::vector<double> x{}, y{};  ///< same length
  int color = 0;                 ///< index into the palette: the same model keeps its colour across panels
  bool dashed = false;           ///< e.g. training error dashed, test error solid
};

struct LinePanel {
  std::string title{};
  std::vector<LineSeries> series{};
};

struct LineChart {
  std::string title{};
  std::string x_label{};                   ///< "epoch"
  std::string y_label{};                   ///< "error (%)"
  std::vector<LinePanel> panels{};         ///< side by side, sharing the y axis's range
  std::optional<double> y_min{}, y_max{};  ///< the range; by default the data's, widened to nice ticks
  int panel_width = 440, height = 400;     ///< pixels
};

/// The chart as a standalone SVG document. Each series is a <polyline class="series" data-label="L">.
std::string svg_line_chart(const LineChart& chart);

}  // namespace cnnzoo::html
