// Reference concatenation along one axis, and its backward: the split.
#include "backend/ref/common.h"

namespace cnnzoo::ref {
namespace {

// Elements before the axis: each input is that many blocks, laid side by side in y.
int64_t outer_size(const Dims& y, int64_t axis) {
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= y[d];
  return outer;
}

template <typename V>
Dims check(std::string_view kernel, const attr::Concat& a, std::span<const V> parts, const Dims& y) {
  std::vector<Dims> shapes;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    detail::expect_view(kernel, fmt::format("input {}", i), parts[i]);
    shapes.push_back(parts[i].shape);
  }
  const Dims want = detail::rule_shape(kernel, OpKind::Concat, a, shapes);
  if (y != want)
    detail::fail(kernel, fmt::format("output should have shape {}, got {}", to_string(want), to_string(y)));
  return want;
}

// Calls f(part, offset in part, offset in y, count) for every contiguous block.
template <typename V, typename F>
void for_each_block(const attr::Concat& a, std::span<const V> parts, const Dims& y, F&& f) {
  const int64_t outer = outer_size(y, a.axis);
  const int64_t row = numel(y) / outer;  // elements of y per outer index
  int64_t offset = 0;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const int64_t block = numel(parts[p].shape) / outer;
    for (int64_t o = 0; o < outer; ++o) f(p, o * block, o * row + offset, block);
    offset += block;
  }
}

}  // namespace

template <typename T>
void concat_forward(const attr::Concat& a, std::span<const In<T>> xs, Out<T> y) {
  constexpr std::string_view k = "concat_forward";
  check(k, a, xs, y.shape);
  detail::expect_view(k, "output", y);
  for_each_block(a, xs, y.shape, [&](std::size_t p, int64_t from, int64_t to, int64_t count) {
    std::copy_n(xs[p].data.begin() + from, count, y.data.begin() + to);
  });
}

template <typename T>
void concat_backward(const attr::Concat& a, In<T> dy, std::span<const Out<T>> dxs) {
  constexpr std::string_view k = "concat_backward";
  check(k, a, dxs, dy.shape);
  detail::expect_view(k, "output gradient", dy);
  for_each_block(a, dxs, dy.shape, [&](std::size_t p, int64_t to, int64_t from, int64_t count) {
    std::copy_n(dy.data.begin() + from, count, dxs[p].data.begin() + to);
  });
}

#define CNNZOO_INSTANTIATE(T)                                                           \
  template void concat_forward<T>(const attr::Concat&, std::span<const In<T>>, Out<T>); \
  template void concat_backward<T>(const attr::Concat&, In<T>, std::span<const Out<T>>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
