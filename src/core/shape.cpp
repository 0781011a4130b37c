#include "cnnzoo/shape.h"

#include <algorithm>

#include <fmt/format.h>

#include "cnnzoo/checked.h"

namespace cnnzoo {

int64_t numel(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    int64_t next = 0;
    if (__builtin_mul_overflow(n, d, &next))
      throw_overflow(fmt::format("the element count of {}", to_string(dims)), n, 'x', d);
    n = next;
  }
  return n;
}

std::optional<Dims> broadcast(const Dims& a, const Dims& b) {
  Dims out(std::max(a.size(), b.size()), 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[out.size() - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

std::string to_string(const Dims& dims) {
  if (dims.empty()) return "scalar";
  return fmt::format("{}", fmt::join(dims, "x"));
}

std::string to_string(const Hw& hw) {
  return hw.h == hw.w ? fmt::format("{}", hw.h) : fmt::format("{}x{}", hw.h, hw.w);
}

}  // namespace cnnzoo
