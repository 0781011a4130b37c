// Chart.js configurations for the reports (charts.h).
#include "html/charts.h"

#include <fmt/format.h>

#include <array>

namespace cnnzoo::html {
namespace {

// Okabe and Ito's palette, told apart by readers with colour-blindness.
constexpr std::array<std::array<int, 3>, 8> kPalette{{{0, 114, 178},
                                                      {230, 159, 0},
                                                      {0, 158, 115},
                                                      {204, 121, 167},
                                                      {86, 180, 233},
                                                      {213, 94, 0},
                                                      {240, 228, 66},
                                                      {0, 0, 0}}};

nlohmann::json axis(const std::string& title, bool logarithmic = false) {
  nlohmann::json a = {{"title", {{"display", !title.empty()}, {"text", title}}}};
  if (logarithmic) a["type"] = "logarithmic";
  return a;
}

nlohmann::json options(const std::string& x_title, const std::string& y_title, bool show_legend,
                       bool y_logarithmic = false) {
  return {{"plugins", {{"legend", {{"display", show_legend}}}}},
          {"scales", {{"x", axis(x_title)}, {"y", axis(y_title, y_logarithmic)}}}};
}

}  // namespace

std::string palette_colour(std::size_t i, double alpha) {
  const auto& c = kPalette[i % kPalette.size()];
  return fmt::format("rgba({},{},{},{})", c[0], c[1], c[2], alpha);
}

nlohmann::json bar_chart(const std::vector<std::string>& labels, const std::vector<Series>& series,
                         const std::string& x_title, const std::string& y_title, bool logarithmic) {
  nlohmann::json datasets = nlohmann::json::array();
  for (std::size_t i = 0; i < series.size(); ++i) {
    datasets.push_back({{"label", series[i].label},
                        {"data", series[i].values},
                        {"backgroundColor", palette_colour(i, 0.8)},
                        {"borderColor", palette_colour(i)},
                        {"borderWidth", 1}});
  }
  return {{"type", "bar"},
          {"data", {{"labels", labels}, {"datasets", datasets}}},
          {"options", options(x_title, y_title, series.size() > 1, logarithmic)}};
}

nlohmann::json horizontal_bar_chart(const std::vector<std::string>& labels, const Series& series,
                                    const std::string& x_title, double x_max) {
  nlohmann::json chart = bar_chart(labels, {series}, x_title, "");
  chart["options"]["indexAxis"] = "y";
  chart["options"]["scales"] = {{"x", axis(x_title)}, {"y", axis("")}};
  chart["options"]["scales"]["x"]["min"] = 0;
  chart["options"]["scales"]["x"]["max"] = x_max;
  return chart;
}

nlohmann::json line_chart(const std::vector<std::string>& labels, const std::vector<Series>& series,
                          const std::string& x_title, const std::string& y_title) {
  nlohmann::json datasets = nlohmann::json::array();
  for (std::size_t i = 0; i < series.size(); ++i) {
    nlohmann::json d = {{"label", series[i].label},
                        {"data", series[i].values},
                        {"borderColor", palette_colour(i)},
                        {"backgroundColor", palette_colour(i)},
                        {"pointRadius", 3},
                        {"tension", 0}};
    if (series[i].dashed) d["borderDash"] = {6, 4};
    datasets.push_back(d);
  }
  return {{"type", "line"},
          {"data", {{"labels", labels}, {"datasets", datasets}}},
          {"options", options(x_title, y_title, series.size() > 1)}};
}

nlohmann::json bubble_chart(const std::vector<Bubble>& bubbles, const std::string& x_title,
                            const std::string& y_title) {
  nlohmann::json datasets = nlohmann::json::array();
  for (std::size_t i = 0; i < bubbles.size(); ++i) {
    const Bubble& b = bubbles[i];
    datasets.push_back({{"label", b.label},
                        {"data", {{{"x", b.x}, {"y", b.y}, {"r", b.radius}}}},
                        {"backgroundColor", palette_colour(i, 0.5)},
                        {"borderColor", palette_colour(i)}});
  }
  return {{"type", "bubble"}, {"data", {{"datasets", datasets}}}, {"options", options(x_title, y_title, true)}};
}

nlohmann::json doughnut_chart(const std::vector<std::string>& labels, const std::vector<double>& values) {
  nlohmann::json colours = nlohmann::json::array();
  for (std::size_t i = 0; i < values.size(); ++i) colours.push_back(palette_colour(i, 0.85));
  return {{"type", "doughnut"},
          {"data", {{"labels", labels}, {"datasets", {{{"data", values}, {"backgroundColor", colours}}}}}},
          {"options", {{"plugins", {{"legend", {{"position", "right"}}}}}}}};
}

}  // namespace cnnzoo::html
