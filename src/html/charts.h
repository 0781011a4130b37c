// Chart.js configurations for the reports' charts: bars, lines and bubbles with titled axes, built as
// JSON for html::chart(). One palette, so that a series keeps its colour from chart to chart.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cnnzoo::html {

struct Series {
  std::string label;
  std::vector<double> values;
  bool dashed = false;  ///< drawn dashed (a line chart's test or validation curve)
};

/// The i-th colour of the palette, as CSS.
std::string palette_colour(std::size_t i, double alpha = 1.0);

/// Bars per label, one colour per series; `logarithmic` for figures that span orders of magnitude.
nlohmann::json bar_chart(const std::vector<std::string>& labels, const std::vector<Series>& series,
                         const std::string& x_title, const std::string& y_title, bool logarithmic = false);

/// Horizontal bars (class names down the side).
nlohmann::json horizontal_bar_chart(const std::vector<std::string>& labels, const Series& series,
                                    const std::string& x_title, double x_max);

/// Lines over x labels (epochs).
nlohmann::json line_chart(const std::vector<std::string>& labels, const std::vector<Series>& series,
                          const std::string& x_title, const std::string& y_title);

/// One bubble per point, labelled: x, y and a radius in pixels.
struct Bubble {
  std::string label;
  double x = 0, y = 0, radius = 0;
};
nlohmann::json bubble_chart(const std::vector<Bubble>& bubbles, const std::string& x_title, const std::string& y_title);

/// A doughnut of parts of a whole.
nlohmann::json doughnut_chart(const std::vector<std::string>& labels, const std::vector<double>& values);

}  // namespace cnnzoo::html
