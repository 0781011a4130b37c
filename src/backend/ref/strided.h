// Walking row-major tensors by strides: broadcasts, permutations, slices and reductions.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "cnnzoo/shape.h"

namespace cnnzoo::ref::detail {

/// Row-major strides of `shape`.
inline std::vector<int64_t> strides_of(const Dims& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (auto i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i) {
    const auto u = static_cast<std::size_t>(i);
    strides[u] = strides[u + 1] * shape[u + 1];
  }
  return strides;
}

/// Strides of `shape` seen in a broadcast to `out`: 0 along dimensions it stretches or lacks.
inline std::vector<int64_t> broadcast_strides(const Dims& shape, const Dims& out) {
  const std::vector<int64_t> own = strides_of(shape);
  std::vector<int64_t> strides(out.size(), 0);
  const std::size_t lead = out.size() - shape.size();
  for (std::size_t i = 0; i < shape.size(); ++i) strides[lead + i] = shape[i] == 1 ? 0 : own[i];
  return strides;
}

/// Calls f(offset in each operand...) for every element of `out` in row-major order; operand k starts at
/// `start[k]` and moves by strides[k][d] along dimension d (negative strides walk backwards).
template <std::size_t K, typename F>
void for_each_index(const Dims& out, const std::array<std::vector<int64_t>, K>& strides, F&& f,
                    std::array<int64_t, K> start = {}) {
  const int64_t total = numel(out);
  std::vector<int64_t> index(out.size(), 0);
  std::array<int64_t, K> offset = start;
  for (int64_t e = 0; e < total; ++e) {
    f(offset);
    for (auto d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      for (std::size_t k = 0; k < K; ++k) offset[k] += strides[k][u];
      if (++index[u] < out[u]) break;
      for (std::size_t k = 0; k < K; ++k) offset[k] -= strides[k][u] * out[u];
      index[u] = 0;
    }
  }
}

}  // namespace cnnzoo::ref::detail
