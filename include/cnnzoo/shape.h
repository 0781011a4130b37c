// Shapes and small geometric types shared by the graph IR, the analysis and the models.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnnzoo {

/// A tensor shape, outermost dimension first (N, C, H, W for images).
using Dims = std::vector<int64_t>;

/// Number of elements of a tensor of shape `dims` (1 for a scalar); OverflowError when it exceeds int64.
int64_t numel(const Dims& dims);

/// "64x56x56": dimensions joined by 'x'; "scalar" for an empty shape.
std::string to_string(const Dims& dims);

/// The numpy broadcast of two shapes (dimensions aligned from the right; 1 stretches), if they have one.
std::optional<Dims> broadcast(const Dims& a, const Dims& b);

/// A height/width pair; a single number means the same value for both.
struct Hw {
  int64_t h = 0;
  int64_t w = 0;
  constexpr Hw() = default;
  constexpr Hw(int64_t both) : h(both), w(both) {}  // NOLINT: implicit on purpose, `.kernel = 3`
  constexpr Hw(int64_t height, int64_t width) : h(height), w(width) {}
  friend constexpr bool operator==(const Hw&, const Hw&) = default;
};

/// "3" when square, "3x5" otherwise.
std::string to_string(const Hw& hw);

}  // namespace cnnzoo
