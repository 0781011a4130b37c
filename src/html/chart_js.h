// Chart.js (Debian's libjs-chart.js, MIT licence), embedded in the binary at build time so that a report
// inlines it and opens with no network and no file beside it.
#pragma once

#include <string_view>

namespace cnnzoo::html {

/// The text of chart.min.js as the package ships it (its licence comment included).
std::string_view chart_js_source();

}  // namespace cnnzoo::html
