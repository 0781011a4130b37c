// Reference elementwise activations (relu, sigmoid, elu, scale, dropout with a given mask) and softmax.
#include <cmath>

#include "backend/ref/common.h"
#include "ops/family_table.h"

namespace cnnzoo::ref {
namespace {

// Checks `b` has as many elements as the kernel's first operand `a`.
template <typename A, typename B>
void expect_same(std::string_view kernel, std::span<A> a, std::string_view b_name, std::span<B> b) {
  detail::expect_size(kernel, b_name, b, static_cast<int64_t>(a.size()));
}

// Softmax runs along one axis: the sizes before it, of it and after it.
struct AxisGeom {
  int64_t outer, len, inner;
};

template <typename X>
AxisGeom axis_geom(std::string_view kernel, const attr::Softmax& a, const View<X>& x) {
  detail::expect_view(kernel, "input", x);
  const auto rank = static_cast<int64_t>(x.shape.size());
  if (a.axis < 0 || a.axis >= rank) {
    detail::fail(kernel,
                 fmt::format("axis {} is outside the input's {} dimensions ({})", a.axis, rank, to_string(x.shape)));
  }
  AxisGeom g{1, x.shape[a.axis], 1};
  for (int64_t d = 0; d < a.axis; ++d) g.outer *= x.shape[d];
  for (int64_t d = a.axis + 1; d < rank; ++d) g.inner *= x.shape[d];
  return g;
}

// The formula of each op of OpFamily::Activation: forward from x, backward from y. An activation added to
// CNNZOO_OPS without one here does not compile (kFormulas below).
template <OpKind K>
struct Activation;

template <>
struct Activation<OpKind::Relu> {
  using Attr = attr::None;
  // NaN passes, as in PyTorch (x > 0 ? x : 0 would make it 0); -0 and -inf become 0.
  template <typename T>
  static T forward(const Attr&, T x) {
    return x > T(0) || std::isnan(x) ? x : T(0);
  }
  // y > 0 exactly where x > 0.
  template <typename T>
  static T backward(const Attr&, T y, T dy) {
    return y > T(0) ? dy : T(0);
  }
};

template <>
struct Activation<OpKind::Sigmoid> {
  using Attr = attr::None;
  template <typename T>
  static T forward(const Attr&, T x) {
    return T(1) / (T(1) + std::exp(-x));
  }
  template <typename T>
  static T backward(const Attr&, T y, T dy) {
    return dy * y * (T(1) - y);
  }
};

template <>
struct Activation<OpKind::Elu> {
  using Attr = attr::Elu;
  // std::expm1 keeps the digits of exp(x) - 1 for x near 0, where PyTorch's kernel does the same.
  template <typename T>
  static T forward(const Attr& a, T x) {
    return x > T(0) ? x : static_cast<T>(a.alpha) * std::expm1(x);
  }
  // For x <= 0, d/dx alpha (e^x - 1) = alpha e^x = y + alpha; y > 0 exactly where x > 0 (alpha >= 0).
  template <typename T>
  static T backward(const Attr& a, T y, T dy) {
    return y > T(0) ? dy : dy * (y + static_cast<T>(a.alpha));
  }
};

template <>
struct Activation<OpKind::Scale> {
  using Attr = attr::Scale;
  template <typename T>
  static T forward(const Attr& a, T x) {
    return static_cast<T>(a.factor) * x;
  }
  template <typename T>
  static T backward(const Attr& a, T, T dy) {
    return static_cast<T>(a.factor) * dy;
  }
};

template <typename T>
struct Kernels {
  void (*forward)(const Attrs&, std::span<const T> x, std::span<T> y) = nullptr;
  void (*backward)(const Attrs&, std::span<const T> y, std::span<const T> dy, std::span<T> dx) = nullptr;
};

template <OpKind K, typename T>
void forward_loop(const Attrs& attrs, std::span<const T> x, std::span<T> y) {
  const auto& a = std::get<typename Activation<K>::Attr>(attrs);
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = Activation<K>::forward(a, x[i]);
}

template <OpKind K, typename T>
void backward_loop(const Attrs& attrs, std::span<const T> y, std::span<const T> dy, std::span<T> dx) {
  const auto& a = std::get<typename Activation<K>::Attr>(attrs);
  for (std::size_t i = 0; i < y.size(); ++i) dx[i] = Activation<K>::backward(a, y[i], dy[i]);
}

template <typename T>
struct KernelsOf {
  template <OpKind K>
  struct Entry {
    static constexpr Kernels<T> value{&forward_loop<K, T>, &backward_loop<K, T>};
  };
};

template <typename T>
constexpr auto kFormulas = ops::family_table<OpFamily::Activation, KernelsOf<T>::template Entry, Kernels<T>>();

template <typename T>
const Kernels<T>& kernels_of(std::string_view kernel, OpKind op, const Attrs& a) {
  const Kernels<T>& k = kFormulas<T>[static_cast<std::size_t>(op)];
  if (k.forward == nullptr) detail::fail(kernel, fmt::format("{} is no activation", op_name(op)));
  if (!ops::rules(op).attrs_fit(a))
    detail::fail(kernel, fmt::format("attributes of another op given to {}", op_name(op)));
  return k;
}

}  // namespace

template <typename T>
void activation_forward(OpKind op, const Attrs& a, std::span<const T> x, std::span<T> y) {
  const Kernels<T>& k = kernels_of<T>("activation_forward", op, a);
  expect_same("activation_forward", x, "output", y);
  k.forward(a, x, y);
}

template <typename T>
void activation_backward(OpKind op, const Attrs& a, std::span<const T> y, std::span<const T> dy, std::span<T> dx) {
  const Kernels<T>& k = kernels_of<T>("activation_backward", op, a);
  expect_same("activation_backward", y, "output gradient", dy);
  expect_same("activation_backward", y, "input gradient", dx);
  k.backward(a, y, dy, dx);
}

template <typename T>
void relu_forward(std::span<const T> x, std::span<T> y) {
  activation_forward<T>(OpKind::Relu, attr::None{}, x, y);
}

// From x or from y alike: y > 0 exactly where x > 0.
template <typename T>
void relu_backward(std::span<const T> x, std::span<const T> dy, std::span<T> dx) {
  activation_backward<T>(OpKind::Relu, attr::None{}, x, dy, dx);
}

template <typename T>
void sigmoid_forward(std::span<const T> x, std::span<T> y) {
  activation_forward<T>(OpKind::Sigmoid, attr::None{}, x, y);
}

template <typename T>
void sigmoid_backward(std::span<const T> y, std::span<const T> dy, std::span<T> dx) {
  activation_backward<T>(OpKind::Sigmoid, attr::None{}, y, dy, dx);
}

template <typename T>
void dropout_forward(const attr::Dropout& a, std::span<const T> x, std::span<const uint8_t> mask, std::span<T> y) {
  expect_same("dropout_forward", x, "mask", mask);
  expect_same("dropout_forward", x, "output", y);
  const T scale = a.p >= 1 ? T(0) : T(1 / (1 - a.p));
  // A product, as PyTorch's: a dropped NaN or infinity gives NaN.
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * (mask[i] ? scale : T(0));
}

template <typename T>
void dropout_backward(const attr::Dropout& a, std::span<const uint8_t> mask, std::span<const T> dy, std::span<T> dx) {
  expect_same("dropout_backward", mask, "output gradient", dy);
  expect_same("dropout_backward", mask, "input gradient", dx);
  const T scale = a.p >= 1 ? T(0) : T(1 / (1 - a.p));
  for (std::size_t i = 0; i < dy.size(); ++i) dx[i] = dy[i] * (mask[i] ? scale : T(0));
}

template <typename T>
void softmax_forward(const attr::Softmax& a, In<T> x, Out<T> y) {
  constexpr std::string_view k = "softmax_forward";
  const AxisGeom g = axis_geom(k, a, x);
  detail::expect_shape(k, "output", y, x.shape);
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t i = 0; i < g.inner; ++i) {
      const auto at = [&](int64_t j) { return (o * g.len + j) * g.inner + i; };
      T top = x.data[at(0)];
      // A NaN may be skipped here, but exp(NaN - top) makes the sum and so the whole row NaN, as in
      // PyTorch; +inf makes inf - inf = NaN, the same.
      for (int64_t j = 1; j < g.len; ++j) top = std::max(top, x.data[at(j)]);
      T sum = 0;
      for (int64_t j = 0; j < g.len; ++j) sum += y.data[at(j)] = std::exp(x.data[at(j)] - top);
      for (int64_t j = 0; j < g.len; ++j) y.data[at(j)] /= sum;
    }
}

template <typename T>
void softmax_backward(const attr::Softmax& a, In<T> y, In<T> dy, Out<T> dx) {
  constexpr std::string_view k = "softmax_backward";
  const AxisGeom g = axis_geom(k, a, y);
  detail::expect_shape(k, "output gradient", dy, y.shape);
  detail::expect_shape(k, "input gradient", dx, y.shape);
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t i = 0; i < g.inner; ++i) {
      const auto at = [&](int64_t j) { return (o * g.len + j) * g.inner + i; };
      T dot = 0;
      for (int64_t j = 0; j < g.len; ++j) dot += dy.data[at(j)] * y.data[at(j)];
      for (int64_t j = 0; j < g.len; ++j) dx.data[at(j)] = y.data[at(j)] * (dy.data[at(j)] - dot);
    }
}

#define CNNZOO_INSTANTIATE(T)                                                                                          \
  template void activation_forward<T>(OpKind, const Attrs&, std::span<const T>, std::span<T>);                         \
  template void activation_backward<T>(OpKind, const Attrs&, std::span<const T>, std::span<const T>, std::span<T>);    \
  template void relu_forward<T>(std::span<const T>, std::span<T>);                                                     \
  template void relu_backward<T>(std::span<const T>, std::span<const T>, std::span<T>);                                \
  template void sigmoid_forward<T>(std::span<const T>, std::span<T>);                                                  \
  template void sigmoid_backward<T>(std::span<const T>, std::span<const T>, std::span<T>);                             \
  template void dropout_forward<T>(const attr::Dropout&, std::span<const T>, std::span<const uint8_t>, std::span<T>);  \
  template void dropout_backward<T>(const attr::Dropout&, std::span<const uint8_t>, std::span<const T>, std::span<T>); \
  template void softmax_forward<T>(const attr::Softmax&, In<T>, Out<T>);                                               \
  template void softmax_backward<T>(const attr::Softmax&, In<T>, In<T>, Out<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
