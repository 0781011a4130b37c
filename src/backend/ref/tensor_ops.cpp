// Reference kernels of the general tensor ops that imported graphs use: broadcast binary arithmetic, clip,
// matmul, transpose, gather and slice; and tensor_op_forward, which runs any op of OpFamily::TensorOp by its
// kernel. Forward only: cnnzoo trains its own zoo, which does not use them.
#include <array>
#include <cmath>

#include "backend/ref/common.h"
#include "backend/ref/strided.h"
#include "ops/family_table.h"

namespace cnnzoo::ref {
namespace {

using detail::broadcast_strides;
using detail::for_each_index;
using detail::strides_of;

template <typename T>
T apply(BinaryOp op, T u, T v) {
  switch (op) {
    case BinaryOp::Add:
      return u + v;
    case BinaryOp::Mul:
      return u * v;
    case BinaryOp::Sub:
      return u - v;
    case BinaryOp::Div:
      return u / v;
    case BinaryOp::Pow:
      return std::pow(u, v);
    // NaN wins, as numpy's minimum and maximum (and ONNX's Min and Max) keep it.
    case BinaryOp::Min:
      return std::isnan(u) || std::isnan(v) ? u + v : std::min(u, v);
    case BinaryOp::Max:
      return std::isnan(u) || std::isnan(v) ? u + v : std::max(u, v);
  }
  return u;
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
    y.data[i++] = apply(op, u, v);
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

template <typename T>
void slice_forward(const attr::Slice& a, In<T> x, Out<T> y) {
  constexpr std::string_view k = "slice_forward";
  detail::expect_view(k, "x", x);
  detail::expect_shape(k, "y", y, detail::rule_shape(k, OpKind::Slice, a, {x.shape}));
  const std::vector<int64_t> own = strides_of(x.shape);
  std::array<std::vector<int64_t>, 1> strides{std::vector<int64_t>(own.size())};
  int64_t first = 0;
  for (std::size_t d = 0; d < own.size(); ++d) {
    strides[0][d] = a.steps[d] * own[d];
    first += a.starts[d] * own[d];
  }
  std::size_t i = 0;
  for_each_index<1>(y.shape, strides,
                    [&](const std::array<int64_t, 1>& at) { y.data[i++] = x.data[static_cast<std::size_t>(at[0])]; },
                    {first});
}

namespace {

// The kernel of each op of OpFamily::TensorOp, on inputs the op's shape rule has accepted. An op added to the
// family without one here does not compile (kTensorKernels below).
template <typename T>
using TensorKernel = void (*)(const Attrs&, std::span<const In<T>>, Out<T>);

template <OpKind K>
struct TensorKernelOf;

template <BinaryOp Op>
struct BinaryKernel {
  template <typename T>
  static void forward(const Attrs&, std::span<const In<T>> xs, Out<T> y) {
    broadcast_binary_forward(Op, xs[0], xs[1], y);
  }
};
template <>
struct TensorKernelOf<OpKind::Mul> : BinaryKernel<BinaryOp::Mul> {};
template <>
struct TensorKernelOf<OpKind::Sub> : BinaryKernel<BinaryOp::Sub> {};
template <>
struct TensorKernelOf<OpKind::Div> : BinaryKernel<BinaryOp::Div> {};
template <>
struct TensorKernelOf<OpKind::Pow> : BinaryKernel<BinaryOp::Pow> {};
template <>
struct TensorKernelOf<OpKind::Min> : BinaryKernel<BinaryOp::Min> {};
template <>
struct TensorKernelOf<OpKind::Max> : BinaryKernel<BinaryOp::Max> {};

template <OpKind K>
struct FunctionKernel {
  template <typename T>
  static void forward(const Attrs& a, std::span<const In<T>> xs, Out<T> y) {
    function_forward(K, a, xs[0].data, y.data);
  }
};
template <>
struct TensorKernelOf<OpKind::Sqrt> : FunctionKernel<OpKind::Sqrt> {};
template <>
struct TensorKernelOf<OpKind::Exp> : FunctionKernel<OpKind::Exp> {};
template <>
struct TensorKernelOf<OpKind::Erf> : FunctionKernel<OpKind::Erf> {};
template <>
struct TensorKernelOf<OpKind::Tanh> : FunctionKernel<OpKind::Tanh> {};
template <>
struct TensorKernelOf<OpKind::Abs> : FunctionKernel<OpKind::Abs> {};
template <>
struct TensorKernelOf<OpKind::Neg> : FunctionKernel<OpKind::Neg> {};
template <>
struct TensorKernelOf<OpKind::HardSigmoid> : FunctionKernel<OpKind::HardSigmoid> {};
template <>
struct TensorKernelOf<OpKind::HardSwish> : FunctionKernel<OpKind::HardSwish> {};

template <OpKind K>
struct ReduceKernel {
  template <typename T>
  static void forward(const Attrs& a, std::span<const In<T>> xs, Out<T> y) {
    reduce_forward(K, std::get<attr::Reduce>(a), xs[0], y);
  }
};
template <>
struct TensorKernelOf<OpKind::ReduceMean> : ReduceKernel<OpKind::ReduceMean> {};
template <>
struct TensorKernelOf<OpKind::ReduceSum> : ReduceKernel<OpKind::ReduceSum> {};
template <>
struct TensorKernelOf<OpKind::ReduceMax> : ReduceKernel<OpKind::ReduceMax> {};
template <>
struct TensorKernelOf<OpKind::ReduceMin> : ReduceKernel<OpKind::ReduceMin> {};

// An op whose kernel takes its attributes of type A and one input.
#define CNNZOO_ONE_INPUT_KERNEL(KIND, A, KERNEL)                               \
  template <>                                                                  \
  struct TensorKernelOf<OpKind::KIND> {                                        \
    template <typename T>                                                      \
    static void forward(const Attrs& a, std::span<const In<T>> xs, Out<T> y) { \
      KERNEL(std::get<A>(a), xs[0], y);                                        \
    }                                                                          \
  };
CNNZOO_ONE_INPUT_KERNEL(Transpose, attr::Transpose, transpose_forward)
CNNZOO_ONE_INPUT_KERNEL(Gather, attr::Gather, gather_forward)
CNNZOO_ONE_INPUT_KERNEL(Slice, attr::Slice, slice_forward)
CNNZOO_ONE_INPUT_KERNEL(Pad, attr::Pad, pad_forward)
CNNZOO_ONE_INPUT_KERNEL(Resize, attr::Resize, resize_forward)
#undef CNNZOO_ONE_INPUT_KERNEL

template <>
struct TensorKernelOf<OpKind::Clip> {
  template <typename T>
  static void forward(const Attrs& a, std::span<const In<T>> xs, Out<T> y) {
    clip_forward(std::get<attr::Clip>(a), xs[0].data, y.data);
  }
};
template <>
struct TensorKernelOf<OpKind::MatMul> {
  template <typename T>
  static void forward(const Attrs&, std::span<const In<T>> xs, Out<T> y) {
    matmul_forward(xs[0], xs[1], y);
  }
};
template <>
struct TensorKernelOf<OpKind::LayerNorm> {
  template <typename T>
  static void forward(const Attrs& a, std::span<const In<T>> xs, Out<T> y) {
    layer_norm_forward(std::get<attr::LayerNorm>(a), xs[0], xs[1], xs.size() > 2 ? xs[2] : In<T>{}, y);
  }
};

template <typename T>
struct TensorKernelsOf {
  template <OpKind K>
  struct Entry {
    static constexpr TensorKernel<T> value = &TensorKernelOf<K>::template forward<T>;
  };
};

template <typename T>
constexpr auto kTensorKernels =
    ops::family_table<OpFamily::TensorOp, TensorKernelsOf<T>::template Entry, TensorKernel<T>>();

}  // namespace

template <typename T>
void tensor_op_forward(OpKind op, const Attrs& a, std::span<const In<T>> xs, Out<T> y) {
  constexpr std::string_view k = "tensor_op_forward";
  const TensorKernel<T> kernel = kTensorKernels<T>[static_cast<std::size_t>(op)];
  if (kernel == nullptr) detail::fail(k, fmt::format("{} is no tensor op", op_name(op)));
  if (!ops::rules(op).attrs_fit(a)) detail::fail(k, fmt::format("attributes of another op given to {}", op_name(op)));
  // The shape rule checks the inputs' count and shapes, once for every kernel.
  std::vector<Dims> shapes;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    detail::expect_view(k, fmt::format("input {}", i + 1), xs[i]);
    shapes.push_back(xs[i].shape);
  }
  detail::expect_shape(k, "y", y, detail::rule_shape(k, op, a, shapes));
  kernel(a, xs, y);
}

#define CNNZOO_INSTANTIATE(T)                                                         \
  template void broadcast_binary_forward<T>(BinaryOp, In<T>, In<T>, Out<T>);          \
  template void broadcast_sum_forward<T>(std::span<const In<T>>, Out<T>);             \
  template void clip_forward<T>(const attr::Clip&, std::span<const T>, std::span<T>); \
  template void matmul_forward<T>(In<T>, In<T>, Out<T>);                              \
  template void transpose_forward<T>(const attr::Transpose&, In<T>, Out<T>);          \
  template void gather_forward<T>(const attr::Gather&, In<T>, Out<T>);                \
  template void slice_forward<T>(const attr::Slice&, In<T>, Out<T>);                  \
  template void tensor_op_forward<T>(OpKind, const Attrs&, std::span<const In<T>>, Out<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
