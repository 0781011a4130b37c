// Reference reductions (mean, sum, maximum, minimum over some axes) and layer normalisation.
#include <cmath>
#include <limits>

#include "backend/ref/common.h"
#include "backend/ref/strided.h"

namespace cnnzoo::ref {

template <typename T>
void reduce_forward(OpKind op, const attr::Reduce& a, In<T> x, Out<T> y) {
  constexpr std::string_view k = "reduce_forward";
  if (op != OpKind::ReduceMean && op != OpKind::ReduceSum && op != OpKind::ReduceMax && op != OpKind::ReduceMin) {
    detail::fail(k, fmt::format("{} is no reduction", op_name(op)));
  }
  detail::expect_view(k, "x", x);
  detail::expect_shape(k, "y", y, detail::rule_shape(k, op, a, {x.shape}));
  // Walk x; each element lands on the output element of its kept coordinates (stride 0 along reduced axes).
  Dims kept = x.shape;
  for (std::size_t d = 0; d < kept.size(); ++d) {
    if (a.axes.empty() || std::binary_search(a.axes.begin(), a.axes.end(), static_cast<int64_t>(d))) kept[d] = 1;
  }
  const std::array<std::vector<int64_t>, 1> strides{detail::broadcast_strides(kept, x.shape)};
  const bool sums = op == OpKind::ReduceMean || op == OpKind::ReduceSum;
  const T first = sums                      ? T(0)
                  : op == OpKind::ReduceMax ? -std::numeric_limits<T>::infinity()
                                            : std::numeric_limits<T>::infinity();
  std::fill(y.data.begin(), y.data.end(), first);
  std::size_t i = 0;
  detail::for_each_index<1>(x.shape, strides, [&](const std::array<int64_t, 1>& at) {
    T& acc = y.data[static_cast<std::size_t>(at[0])];
    const T v = x.data[i++];
    if (sums) {
      acc += v;
    } else if (std::isnan(v) || std::isnan(acc)) {
      acc = std::isnan(acc) ? acc : v;  // NaN propagates, as numpy's max and min
    } else {
      acc = op == OpKind::ReduceMax ? std::max(acc, v) : std::min(acc, v);
    }
  });
  if (op == OpKind::ReduceMean) {
    const T count = static_cast<T>(numel(x.shape) / numel(y.shape));
    for (T& v : y.data) v /= count;
  }
}

template <typename T>
void layer_norm_forward(const attr::LayerNorm& a, In<T> x, In<T> scale, In<T> bias, Out<T> y) {
  constexpr std::string_view k = "layer_norm_forward";
  const bool has_bias = !bias.shape.empty() || !bias.data.empty();
  std::vector<Dims> shapes{x.shape, scale.shape};
  if (has_bias) shapes.push_back(bias.shape);
  detail::expect_view(k, "x", x);
  detail::expect_view(k, "scale", scale);
  if (has_bias) detail::expect_view(k, "bias", bias);
  detail::expect_shape(k, "y", y, detail::rule_shape(k, OpKind::LayerNorm, a, shapes));
  const auto inner = static_cast<std::size_t>(numel(scale.shape));
  const std::size_t rows = x.data.size() / inner;
  // Statistics in double whatever T is: a float sum over thousands of elements loses digits PyTorch keeps.
  for (std::size_t r = 0; r < rows; ++r) {
    const T* in = x.data.data() + r * inner;
    T* out = y.data.data() + r * inner;
    double mean = 0.0;
    for (std::size_t i = 0; i < inner; ++i) mean += in[i];
    mean /= static_cast<double>(inner);
    double variance = 0.0;
    for (std::size_t i = 0; i < inner; ++i) variance += (in[i] - mean) * (in[i] - mean);
    variance /= static_cast<double>(inner);
    const double inv_std = 1.0 / std::sqrt(variance + a.epsilon);
    for (std::size_t i = 0; i < inner; ++i) {
      const double normalized = (in[i] - mean) * inv_std * scale.data[i];
      out[i] = static_cast<T>(has_bias ? normalized + bias.data[i] : normalized);
    }
  }
}

#define CNNZOO_INSTANTIATE(T)                                                  \
  template void reduce_forward<T>(OpKind, const attr::Reduce&, In<T>, Out<T>); \
  template void layer_norm_forward<T>(const attr::LayerNorm&, In<T>, In<T>, In<T>, Out<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
