// Standalone SVG charts (svg_chart.h).
#include "html/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "analysis/units.h"
#include "cnnzoo/error.h"
#include "html/page.h"

namespace cnnzoo::html {
namespace {

// Colour-blind-safe (Okabe and Ito), dark enough for text on white and for grey print.
constexpr std::array<std::string_view, 8> kPalette = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                      "#E69F00", "#56B4E9", "#000000", "#999999"};
constexpr std::string_view kFont = "font-family=\"Helvetica, Arial, sans-serif\"";
constexpr int kRight = 24, kTop = 64;  // room for the title (and a legend row)
constexpr double kCharWidth = 7.2;     // of a 13 px sans-serif digit, to leave room for labels

std::string_view colour(int index) { return kPalette[static_cast<std::size_t>(index) % kPalette.size()]; }

std::string svg_open(int width, int height) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
      "height=\"{1}\" viewBox=\"0 0 {0} {1}\" {2} font-size=\"13\">\n<rect width=\"{0}\" height=\"{1}\" "
      "fill=\"#ffffff\"/>\n",
      width, height, kFont);
}

std::string text(double x, double y, std::string_view content, std::string_view anchor = "middle",
                 std::string_view extra = "") {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\"{}{}>{}</text>\n", x, y, anchor,
                     extra.empty() ? "" : " ", extra, escape(content));
}

std::string title_text(int width, std::string_view title) {
  return text(width / 2.0, 24, title, "middle", "font-size=\"16\" font-weight=\"bold\"");
}

// A vertical axis from `y0` (bottom, pixels) to `y1` (top) at x = `x`, with its ticks, grid lines across
// `grid_width` and, when `label` is not empty, the rotated label left of it.
struct YAxis {
  std::vector<double> ticks;
  bool log = false;
  double lo = 0, hi = 1;
  double y0 = 0, y1 = 0;

  double position(double v) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    return y0 - t * (y0 - y1);
  }
  std::string draw(double x, double grid_width, std::string_view label) const {
    std::string out;
    for (const double t : ticks) {
      const double y = position(t);
      out += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e3e3e3\"/>\n", x, y,
                         x + grid_width, y);
      out += text(x - 6, y + 4, tick_label(t), "end");
    }
    out +=
        fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\"/>\n", x, y0, y1);
    if (!label.empty()) {
      const double mid = (y0 + y1) / 2;
      out += text(18, mid, label, "middle", fmt::format("transform=\"rotate(-90 18 {:.1f})\"", mid));
    }
    return out;
  }
};

// One legend entry: a swatch (a box, or a line solid or dashed) and its label.
std::string legend_entry(double x, double y, std::string_view colour_value, std::string_view label, bool line,
                         bool dashed) {
  std::string swatch = line ? fmt::format(
                                  "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
                                  "stroke-width=\"2.5\"{}/>\n",
                                  x, y - 4, x + 26, y - 4, colour_value, dashed ? " stroke-dasharray=\"6 4\"" : "")
                            : fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" fill=\"{}\"/>\n",
                                          x, y - 10, colour_value);
  return swatch + text(x + (line ? 32 : 18), y, label, "start");
}

// The left margin: the rotated y label, then the widest tick label.
double left_margin(const YAxis& axis) {
  std::size_t widest = 1;
  for (const double t : axis.ticks) widest = std::max(widest, tick_label(t).size());
  return 40 + kCharWidth * static_cast<double>(widest);
}

// Legend entries laid out in rows within `width` from `x0`: the y of each row, starting at `y0`.
struct LegendItem {
  std::string_view colour_value;
  std::string label;
  bool line = false, dashed = false;
};
std::string legend(const std::vector<LegendItem>& items, double x0, double y0, double width, int* rows) {
  std::string out;
  double x = x0, y = y0;
  *rows = items.empty() ? 0 : 1;
  for (const LegendItem& item : items) {
    const double w = (item.line ? 44 : 30) + kCharWidth * static_cast<double>(item.label.size());
    if (x > x0 && x + w > x0 + width) {
      x = x0;
      y += 18;
      ++*rows;
    }
    out += legend_entry(x, y, item.colour_value, item.label, item.line, item.dashed);
    x += w;
  }
  return out;
}

YAxis linear_axis(double lo, double hi, double y0, double y1) {
  if (!(hi > lo)) hi = lo + 1;
  YAxis axis{.ticks = nice_ticks(lo, hi), .y0 = y0, .y1 = y1};
  axis.lo = axis.ticks.front();
  axis.hi = axis.ticks.back();
  return axis;
}

void require(bool condition, const std::string& what) {
  if (!condition) throw InvalidArgument("svg chart: " + what);
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  require(std::isfinite(lo) && std::isfinite(hi) && lo <= hi && target >= 1, "axis range must be finite, lo <= hi");
  if (hi == lo) hi = lo + (lo == 0 ? 1 : std::abs(lo) * 0.1);
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9) * step;
  for (double t = first; t < hi + step * (1 - 1e-9); t += step) ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  if (ticks.back() < hi - step * 1e-9) ticks.push_back(ticks.back() + step);
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  require(lo > 0 && hi >= lo && std::isfinite(hi), "a log axis needs 0 < lo <= hi");
  std::vector<double> ticks;
  const int from = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  int to = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  if (to == from) ++to;
  for (int k = from; k <= to; ++k) ticks.push_back(std::pow(10.0, k));
  return ticks;
}

std::string tick_label(double value) {
  if (value == 0) return "0";
  if (std::abs(value) >= 1000 && std::abs(value) < 1e15 && value == std::round(value)) {
    return with_commas(static_cast<int64_t>(value));  // as the rest of cnnzoo prints counts, never 1e+06
  }
  if (std::abs(value) < 1e-3) return fmt::format("{:.0e}", value);
  std::string s = fmt::format("{:.6f}", value);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string svg_bar_chart(const BarChart& chart) {
  require(!chart.categories.empty() && !chart.series.empty(), "a bar chart needs categories and series");
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const BarSeries& s : chart.series) {
    require(s.values.size() == chart.categories.size(), "series '" + s.label + "' needs one value per category");
    for (const double v : s.values) {
      require(std::isfinite(v) && v >= 0, "bar values must be finite and non-negative");
      if (v > 0) lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  YAxis axis = chart.log_scale && hi > 0 ? YAxis{.ticks = log_ticks(lo, hi), .log = true}
                                         : linear_axis(0, hi > 0 ? hi : 1, 0, 0);
  axis.lo = axis.ticks.front();
  axis.hi = axis.ticks.back();
  const double left = left_margin(axis);
  const double plot_width = chart.width - left - kRight;
  // Long or many category names are written at 40 degrees; the bottom margin makes room for them.
  std::size_t longest = 0;
  for (const std::string& c : chart.categories) longest = std::max(longest, c.size());
  const double slot = plot_width / static_cast<double>(chart.categories.size());
  const bool slanted = static_cast<double>(longest) * kCharWidth > 0.85 * slot;  // with a gap between labels
  const double bottom = 44 + (slanted ? std::min<double>(static_cast<double>(longest), 28) * 5.2 : 16);
  std::string legend_svg;
  int legend_rows = 0;
  if (chart.series.size() > 1) {
    std::vector<LegendItem> items;
    for (std::size_t s = 0; s < chart.series.size(); ++s) {
      items.push_back({colour(static_cast<int>(s)), chart.series[s].label});
    }
    legend_svg = legend(items, left, 48, plot_width, &legend_rows);
  }
  axis.y0 = chart.height - bottom;
  axis.y1 = kTop + 18.0 * std::max(0, legend_rows - 1) + (legend_rows > 0 ? 10 : 0);

  const double bar_width = slot * 0.8 / static_cast<double>(chart.series.size());
  std::string out = svg_open(chart.width, chart.height) + title_text(chart.width, chart.title) + legend_svg;
  out += axis.draw(left, plot_width, chart.y_label);
  for (std::size_t s = 0; s < chart.series.size(); ++s) {
    for (std::size_t c = 0; c < chart.categories.size(); ++c) {
      const double v = chart.series[s].values[c];
      const double x = left + slot * static_cast<double>(c) + slot * 0.1 + bar_width * static_cast<double>(s);
      const double y = (axis.log && v <= 0) ? axis.y0 : axis.position(axis.log ? std::max(v, axis.lo) : v);
      out += fmt::format(
          "<rect class=\"bar\" data-series=\"{}\" data-category=\"{}\" data-value=\"{}\" x=\"{:.2f}\" y=\"{:.4f}\" "
          "width=\"{:.2f}\" height=\"{:.4f}\" fill=\"{}\"><title>{}: {}</title></rect>\n",
          escape(chart.series[s].label), escape(chart.categories[c]), v, x, y, bar_width, axis.y0 - y,
          colour(static_cast<int>(s)), escape(chart.categories[c]), tick_label(v));
    }
  }
  out += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#333\"/>\n", left, axis.y0,
                     left + plot_width, axis.y0);
  for (std::size_t c = 0; c < chart.categories.size(); ++c) {
    const double x = left + slot * (static_cast<double>(c) + 0.5);
    out += slanted ? text(x, axis.y0 + 14, chart.categories[c], "end",
                          fmt::format("transform=\"rotate(-40 {:.1f} {:.1f})\"", x, axis.y0 + 14))
                   : text(x, axis.y0 + 18, chart.categories[c]);
  }
  out += text(left + plot_width / 2, chart.height - 12, chart.x_label);
  return out + "</svg>\n";
}

std::string svg_line_chart(const LineChart& chart) {
  require(!chart.panels.empty(), "a line chart needs a panel");
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, x_hi = 1;
  bool whole_x = true;  // x counts epochs, steps or members: no tick between two of them
  for (const LinePanel& p : chart.panels) {
    for (const LineSeries& s : p.series) {
      require(s.x.size() == s.y.size(), "series '" + s.label + "' needs as many x as y values");
      for (std::size_t i = 0; i < s.y.size(); ++i) {
        require(std::isfinite(s.x[i]) && std::isfinite(s.y[i]), "series '" + s.label + "' holds a non-finite value");
        lo = std::min(lo, s.y[i]);
        hi = std::max(hi, s.y[i]);
        x_hi = std::max(x_hi, s.x[i]);
        whole_x = whole_x && s.x[i] == std::floor(s.x[i]);
      }
    }
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  YAxis axis = linear_axis(chart.y_min.value_or(lo), chart.y_max.value_or(hi), 0, kTop);
  const double left0 = left_margin(axis);
  const double gap = 40;  // between panels
  // Each panel's legend sits under its x axis, in rows of the panel's width.
  std::vector<std::vector<LegendItem>> legends(chart.panels.size());
  int legend_rows = 0;
  for (std::size_t p = 0; p < chart.panels.size(); ++p) {
    for (const LineSeries& s : chart.panels[p].series) {
      legends[p].push_back({colour(s.color), s.label, true, s.dashed});
    }
    int rows = 0;
    legend(legends[p], 0, 0, chart.panel_width, &rows);
    legend_rows = std::max(legend_rows, rows);
  }
  const double bottom = 64 + 18.0 * legend_rows;
  axis.y0 = chart.height - bottom;
  // As wide as the panels, or as the title where one panel is narrower than its title (about 9.5 pixels a
  // character at 16 pixels bold): a title must not be cut at the edges.
  const double panels_width =
      left0 + kRight + (chart.panel_width + gap) * static_cast<double>(chart.panels.size()) - gap;
  const double width = std::max(panels_width, 9.5 * static_cast<double>(chart.title.size()) + 2 * kRight);
  std::vector<double> x_ticks = nice_ticks(0, x_hi, 6);
  if (whole_x && x_ticks[1] < 1) {  // a run of 3 epochs: 0, 1, 2, 3 rather than 0, 0.5, ..., 3
    x_ticks.clear();
    for (double t = 0; t < x_hi + 1; ++t) x_ticks.push_back(t);
  }
  const double x_max = x_ticks.back();
  const int width_px = static_cast<int>(std::ceil(width));
  std::string out = svg_open(width_px, chart.height) + title_text(width_px, chart.title);
  for (std::size_t p = 0; p < chart.panels.size(); ++p) {
    const LinePanel& panel = chart.panels[p];
    const double left = left0 + static_cast<double>(p) * (chart.panel_width + gap);
    const double plot_width = chart.panel_width;
    const auto px = [&](double x) { return left + x / x_max * plot_width; };
    out += axis.draw(left, plot_width, p == 0 ? chart.y_label : "");
    out += text(left + plot_width / 2, kTop - 10, panel.title, "middle", "font-weight=\"bold\"");
    out += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#333\"/>\n", left,
                       axis.y0, left + plot_width, axis.y0);
    for (const double t : x_ticks) out += text(px(t), axis.y0 + 18, tick_label(t));
    out += text(left + plot_width / 2, axis.y0 + 38, chart.x_label);
    for (const LineSeries& series : panel.series) {
      std::string points;
      for (std::size_t i = 0; i < series.x.size(); ++i) {
        const double y = axis.position(std::clamp(series.y[i], axis.lo, axis.hi));
        points += fmt::format("{}{:.2f},{:.2f}", i ? " " : "", px(series.x[i]), y);
      }
      out += fmt::format(
          "<polyline class=\"series\" data-label=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{}\" "
          "stroke-width=\"2.2\"{}/>\n",
          escape(series.label), points, colour(series.color), series.dashed ? " stroke-dasharray=\"6 4\"" : "");
      // A dot on each point, so that a series of one epoch still shows.
      for (std::size_t i = 0; i < series.x.size(); ++i) {
        out += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\" fill=\"{}\"/>\n", px(series.x[i]),
                           axis.position(std::clamp(series.y[i], axis.lo, axis.hi)), colour(series.color));
      }
    }
    int rows = 0;
    out += legend(legends[p], left, axis.y0 + 62, plot_width, &rows);
  }
  return out + "</svg>\n";
}

}  // namespace cnnzoo::html
