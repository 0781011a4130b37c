// The frame of every HTML report: one self-contained file that opens offline. Styles and scripts are
// inlined (Chart.js from Debian's libjs-chart.js, embedded in the binary at build time), drawings are
// inline SVG, and nothing is fetched. A page marks itself for tests: when every chart and drawing has
// rendered, <html> gets data-cnnzoo-ready="true"; script errors and console errors are listed in
// data-cnnzoo-errors; data-cnnzoo-charts counts the charts and drawings and data-cnnzoo-charts-drawn those
// that drew something (a canvas with painted pixels, an SVG with a non-empty box).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cnnzoo::html {

/// The mark in every page's <head> that says cnnzoo wrote it.
inline constexpr std::string_view kGeneratorMark = "<meta name=\"generator\" content=\"cnnzoo\">";

/// `text` with &, <, >, " and ' escaped, for element content and attribute values.
std::string escape(std::string_view text);

/// A Chart.js chart: a canvas that the page's script fills from `config`, a Chart.js 3 configuration
/// ({"type": "bar", "data": {...}, "options": {...}}); animation is turned off so that it draws at once.
/// `height_px` is the chart's height; its width follows the page.
std::string chart(const nlohmann::json& config, int height_px = 320);

/// An SVG drawing or figure placed in the page as it is (an XML prolog or doctype is dropped), in a
/// scrollable frame; `caption` under it.
std::string figure(std::string_view svg, std::string_view caption);

/// A whole page: `title` as <title> and <h1>, then `body` (HTML). Chart.js is inlined when `body` holds a
/// chart from chart().
std::string page(std::string_view title, std::string_view body);

/// A small table: a header row and rows of cells, all escaped; cells that look like numbers align right.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace cnnzoo::html
