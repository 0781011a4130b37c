// The frame of every HTML report (page.h).
#include "html/page.h"

#include <fmt/format.h>

#include <cctype>

#include "html/chart_js.h"

namespace cnnzoo::html {
namespace {

constexpr std::string_view kChartClass = "cnnzoo-chart";

// A report should read well on a laptop and print on A4: one column, system fonts, tables that scroll.
constexpr std::string_view kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1100px;
       padding: 0 1em; color: #1d2330; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #dde; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e6ee; }
th { background: #f3f4f8; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart-frame { position: relative; width: 100%; }
figure { margin: 1em 0; } figure .drawing { overflow: auto; max-height: 80vh; border: 1px solid #e4e6ee; }
figcaption { font-size: 0.9em; color: #555; }
details { margin: 0.4em 0; } summary { cursor: pointer; }
.finding { background: #f3f7ff; border-left: 4px solid #4a72d9; padding: 0.6em 1em; }
.note { color: #555; font-size: 0.9em; }
)";

// Builds every chart, then checks that each chart and drawing painted something before it marks the page
// ready. Errors of any script (and console.error) are collected on <html> for the tests and shown on the
// page, so that a broken report says so instead of showing empty boxes.
constexpr std::string_view kScript = R"(
(function () {
  var root = document.documentElement, errors = [];
  function note(message) {
    errors.push(String(message));
    root.setAttribute('data-cnnzoo-errors', errors.join(' | '));
  }
  window.addEventListener('error', function (e) { note(e.message || 'script error'); });
  var consoleError = console.error;
  console.error = function () { note(Array.prototype.join.call(arguments, ' ')); consoleError.apply(console, arguments); };
  function painted(canvas) {
    var pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (var i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
    return false;
  }
  window.addEventListener('load', function () {
    var charts = 0, drawn = 0;
    document.querySelectorAll('canvas.' + chartClass).forEach(function (canvas) {
      charts++;
      try {
        var config = JSON.parse(canvas.getAttribute('data-config'));
        config.options = config.options || {};
        config.options.animation = false;
        config.options.responsive = true;
        config.options.maintainAspectRatio = false;
        new Chart(canvas, config);
        if (painted(canvas)) drawn++; else note('chart ' + charts + ' drew nothing');
      } catch (e) { note('chart ' + charts + ': ' + e.message); }
    });
    // A drawing inside a closed <details> has no box until it is opened: open them to measure.
    var closed = Array.prototype.filter.call(document.querySelectorAll('details'), function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
    document.querySelectorAll('.drawing > svg').forEach(function (svg) {
      charts++;
      var box = svg.getBBox();
      if (box.width > 0 && box.height > 0) drawn++; else note('drawing ' + charts + ' is empty');
    });
    closed.forEach(function (d) { d.open = false; });
    // A box of an overview drawing opens the <details> that draws it in full (data-box names the box).
    document.querySelectorAll('details[data-box]').forEach(function (d) {
      var box = document.getElementById(d.getAttribute('data-box'));
      if (!box) return;
      box.style.cursor = 'pointer';
      box.addEventListener('click', function () { d.open = true; d.scrollIntoView(); });
    });
    root.setAttribute('data-cnnzoo-charts', String(charts));
    root.setAttribute('data-cnnzoo-charts-drawn', String(drawn));
    if (errors.length) {
      var box = document.createElement('p');
      box.className = 'note';
      box.textContent = 'This report met errors: ' + errors.join(' | ');
      document.body.insertBefore(box, document.body.firstChild);
    }
    root.setAttribute('data-cnnzoo-ready', 'true');
  });
})();
)";

// "</script" inside an inlined script would end it early; "<\/script" means the same to JavaScript.
std::string script_safe(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    out += source[i];
    if (source[i] == '<' && source.compare(i + 1, 7, "/script") == 0) out += '\\';
  }
  return out;
}

bool looks_numeric(const std::string& cell) {
  if (cell.empty()) return false;
  for (const char c : cell) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == ',' || c == '.' || c == '-' || c == '+' || c == '%' ||
          c == ' ' || c == 'x' || c == 'e')) {
      return false;
    }
  }
  return std::isdigit(static_cast<unsigned char>(cell.back())) || cell.back() == '%' || cell.back() == 'x';
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string chart(const nlohmann::json& config, int height_px) {
  return fmt::format(
      "<div class=\"chart-frame\" style=\"height:{}px\"><canvas class=\"{}\" data-config=\"{}\"></canvas></div>\n",
      height_px, kChartClass, escape(config.dump()));
}

std::string figure(std::string_view svg, std::string_view caption) {
  const std::size_t start = svg.find("<svg");
  if (start != std::string_view::npos) svg.remove_prefix(start);
  return fmt::format("<figure><div class=\"drawing\">{}</div><figcaption>{}</figcaption></figure>\n", svg,
                     escape(caption));
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out = "<table><thead><tr>";
  for (const std::string& cell : header) out += "<th>" + escape(cell) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const std::string& cell : row) {
      out += looks_numeric(cell) ? "<td class=\"num\">" : "<td>";
      out += escape(cell) + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string page(std::string_view title, std::string_view body) {
  const bool has_charts = body.find(kChartClass) != std::string_view::npos;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += std::string(kGeneratorMark) + "\n<title>" + escape(title) + "</title>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n";
  // The watcher comes first, so that it also sees an error in Chart.js itself.
  // The script finds the charts by the class the C++ gives their canvases.
  out += fmt::format("<script>var chartClass = '{}';\n{}</script>\n", kChartClass, kScript);
  if (has_charts) out += "<script>" + script_safe(chart_js_source()) + "</script>\n";
  out += "</head>\n<body>\n<h1>" + escape(title) + "</h1>\n";
  out += body;
  out += "\n<p class=\"note\">Made by cnnzoo. Charts by Chart.js (MIT licence), drawings by Graphviz.</p>\n";
  return out + "</body>\n</html>\n";
}

}  // namespace cnnzoo::html
