#include "cnnzoo/shape.h"

#include <fmt/format.h>

namespace cnnzoo {

int64_t numel(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string to_string(const Dims& dims) {
  if (dims.empty()) return "scalar";
  return fmt::format("{}", fmt::join(dims, "x"));
}

std::string to_string(const Hw& hw) {
  return hw.h == hw.w ? fmt::format("{}", hw.h) : fmt::format("{}x{}", hw.h, hw.w);
}

}  // namespace cnnzoo
