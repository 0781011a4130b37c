// How every experiment writes its numbers in tables and findings, in one place: "231.2 M", "72.0%", "13.9x".
#pragma once

#include <cstdint>
#include <string>

namespace cnnzoo::experiments {

/// MACs or counts in millions, one decimal: "231.2 M".
std::string millions(int64_t n);
/// "72.0%" from 0.72.
std::string percent(double fraction);
/// "13.90x".
std::string ratio(double r);
/// "A / B", as a ratio of two counts.
double over(int64_t a, int64_t b);

}  // namespace cnnzoo::experiments
