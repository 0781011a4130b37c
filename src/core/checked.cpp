#include "cnnzoo/checked.h"

#include <fmt/format.h>

#include <limits>

namespace cnnzoo {

void throw_overflow(std::string_view what, int64_t a, char op, int64_t b) {
  throw OverflowError(fmt::format("{} overflows 64 bits: {} {} {} exceeds {} (2^63 - 1)", what, a, op, b,
                                  std::numeric_limits<int64_t>::max()));
}

void check_shape_limits(const Dims& dims, std::string_view what) {
  if (dims.size() > kMaxRank) {
    throw ShapeError(fmt::format("{}: shape {} has {} dimensions; at most {} are supported", what, to_string(dims),
                                 dims.size(), kMaxRank));
  }
  for (int64_t d : dims) {
    if (d < 0 || d > kMaxDim) {
      throw ShapeError(fmt::format("{}: dimension {} of shape {} is outside 0..{} (2^31 - 1), the largest supported",
                                   what, d, to_string(dims), kMaxDim));
    }
  }
  try {
    numel(dims);
  } catch (const OverflowError& e) {
    throw OverflowError(fmt::format("{}: {}", what, e.what()));
  }
}

}  // namespace cnnzoo
