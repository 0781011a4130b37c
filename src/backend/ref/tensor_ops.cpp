// Reference kernels of the general tensor ops that imported graphs use: broadcast add and multiply,
// clip, matmul, transpose and gather. Forward only: cnnzoo trains its own zoo, which does not use them.
#include <array>
#include <cmath>

#include "backend/ref/common.h"

namespace cnnzoo::ref {
namespace {

// Row-major strides of `shape`.
std::vector<int64_t> strides_of(const Dims& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (auto i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i) {
    const auto u = static_cast<std::size_t>(i);
    strides[u] = strides[u + 1] * shape[u + 1];
  }
  return strides;
}

// Strides of `shape` seen in a broadcast to `out`: 0 along dimensions it stretches or lacks.
std::vector<int64_t> broadcast_strides(const Dims& shape, const Dims& out) {
  const std::vector<int64_t> own = strides_of(shape);
  std::vector<int64_t> strides(out.size(), 0);
  const std::size_t lead = out.size() - shape.size();
  for (std::size_t i = 0; i < shape.size(); ++i) strides[lead + i] = shape[i] == 1 ? 0 : own[i];
  return strides;
}

// Calls f(offset in each operand...) for every element of `out` in row-major order.
template <std::size_t K, typename F>
void for_each_index(const Dims& out, const std::array<std::vector<int64_t>, K>& strides, F&& f) {
  const int64_t total = numel(out);
  std::vector<int64_t> index(out.size(), 0);
  std::array<int64_t, K> offset{};
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

}  // namespace

template <typename T>
void broadcast_binary_forward(BinaryOp op, In<T> a, In<T> b, Out<T> y) {
  constexpr std::string_view k = "broadcast_binary_forward";
  detail::expect_view(k, "a", a);
  detail::expect_view(k, "b", b);
  const std::optional<Dims> out = broadcast(a.shape, b.shape);
  if (!out) detail::fail(k, fmt::format("cannot broadcast {} with {}", to_string(a.shape), to_string(b.shape)));
  detail::expect_shape(k, "y", y, *out);
  const std::array<std::vector<int64_t>, 2> strides{broadcast_strides(a.shape, *out), broadcast_strides(b.shape, *out)};
  std::size_t i = 0;
  for_each_index<2>(*out, strides, [&](const std::array<int64_t, 2>& at) {
    const T u = a.data[static_cast<std::size_t>(at[0])];
    const T v = b.data[static_cast<std::size_t>(at[1])];
    y.data[i++] = op == BinaryOp::Add ? u + v : u * v;
  });
}

template <typename T>
void broadcast_sum_forward(std::span<const In<T>> xs, Out<T> y) {
  std::fill(y.data.begin(), y.data.end(), T(0));
  // Each step reads y at the index it writes, so accumulating in place is safe.
  for (const In<T>& x : xs) broadcast_binary_forward<T>(BinaryOp::Add, In<T>(y), x, y);
}

template <typename T>
void clip_forward(const attr::Clip& a, std::span<const T> x, std::span<T> y) {
  detail::expect_size("clip_forward", "y", y, static_cast<int64_t>(x.size()));
  const auto lo = static_cast<T>(a.min);
  const auto hi = static_cast<T>(a.max);
  // NaN stays NaN, as torch.clamp keeps it; said outright rather than left to std::max's argument order.
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = std::isnan(x[i]) ? x[i] : std::min(std::max(x[i], lo), hi);
}

template <typename T>
void matmul_forward(In<T> a, In<T> b, Out<T> y) {
  constexpr std::string_view k = "matmul_forward";
  detail::expect_view(k, "a", a);
  detail::expect_view(k, "b", b);
  detail::expect_shape(k, "y", y, detail::rule_shape(k, OpKind::MatMul, attr::None{}, {a.shape, b.shape}));
  const int64_t m = a.shape[a.shape.size() - 2];
  const int64_t inner = a.shape.back();
  const int64_t n = b.shape.back();
  // Walk the broadcast batch dimensions; each batch element is one M x K by K x N product.
  const Dims batch(y.shape.begin(), y.shape.end() - 2);
  const Dims a_batch(a.shape.begin(), a.shape.end() - 2);
  const Dims b_batch(b.shape.begin(), b.shape.end() - 2);
  const std::array<std::vector<int64_t>, 2> strides{broadcast_strides(a_batch, batch),
                                                    broadcast_strides(b_batch, batch)};
  int64_t batch_index = 0;
  for_each_index<2>(batch, strides, [&](const std::array<int64_t, 2>& at) {
    const T* pa = a.data.data() + at[0] * m * inner;
    const T* pb = b.data.data() + at[1] * inner * n;
    T* py = y.data.data() + batch_index++ * m * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        T sum = 0;
        for (int64_t p = 0; p < inner; ++p) sum += pa[i * inner + p] * pb[p * n + j];
        py[i * n + j] = sum;
      }
    }
  });
}

template <typename T>
void transpose_forward(const attr::Transpose& a, In<T> x, Out<T> y) {
  constexpr std::string_view k = "transpose_forward";
  detail::expect_view(k, "x", x);
  detail::expect_shape(k, "y", y, detail::rule_shape(k, OpKind::Transpose, a, {x.shape}));
  // Output element order walks x with its strides permuted.
  const std::vector<int64_t> own = strides_of(x.shape);
  std::array<std::vector<int64_t>, 1> strides{std::vector<int64_t>(a.perm.size())};
  for (std::size_t i = 0; i < a.perm.size(); ++i) strides[0][i] = own[static_cast<std::size_t>(a.perm[i])];
  std::size_t i = 0;
  for_each_index<1>(y.shape, strides,
                    [&](const std::array<int64_t, 1>& at) { y.data[i++] = x.data[static_cast<std::size_t>(at[0])]; });
}

template <typename T>
void gather_forward(const attr::Gather& a, In<T> x, Out<T> y) {
  constexpr std::string_view k = "gather_forward";
  detail::expect_view(k, "x", x);
  detail::expect_shape(k, "y", y, detail::rule_shape(k, OpKind::Gather, a, {x.shape}));
  const auto axis = static_cast<std::size_t>(a.axis);
  const int64_t outer = numel(Dims(x.shape.begin(), x.shape.begin() + a.axis));
  const int64_t inner = numel(Dims(x.shape.begin() + a.axis + 1, x.shape.end()));
  const int64_t size = x.shape[axis];
  T* out = y.data.data();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t index : a.indices) {
      const T* from = x.data.data() + (o * size + index) * inner;
      out = std::copy(from, from + inner, out);
    }
  }
}

#define CNNZOO_INSTANTIATE(T)                                                         \
  template void broadcast_binary_forward<T>(BinaryOp, In<T>, In<T>, Out<T>);          \
  template void broadcast_sum_forward<T>(std::span<const In<T>>, Out<T>);             \
  template void clip_forward<T>(const attr::Clip&, std::span<const T>, std::span<T>); \
  template void matmul_forward<T>(In<T>, In<T>, Out<T>);                              \
  template void transpose_forward<T>(const attr::Transpose&, In<T>, Out<T>);          \
  template void gather_forward<T>(const attr::Gather&, In<T>, Out<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
