// The experiments' wording of numbers (wording.h).
#include "experiments/wording.h"

#include <fmt/format.h>

#include "analysis/units.h"

namespace cnnzoo::experiments {

std::string millions(int64_t n) {
  const int64_t tenths = (n + 50'000) / 100'000;  // counts are non-negative; rounded to 0.1 M
  return fmt::format("{}.{} M", with_commas(tenths / 10), tenths % 10);
}
std::string percent(double fraction) { return fmt::format("{:.1f}%", 100 * fraction); }
std::string ratio(double r) { return fmt::format("{:.2f}x", r); }
double over(int64_t a, int64_t b) { return static_cast<double>(a) / static_cast<double>(b); }

}  // namespace cnnzoo::experiments
