// Reference softmax cross-entropy with label smoothing, mean over the batch (PyTorch's CrossEntropyLoss).
#include <cmath>

#include "backend/ref/common.h"

namespace cnnzoo::ref {

template <typename T>
T softmax_cross_entropy(In<T> logits, std::span<const int64_t> labels, double label_smoothing, Out<T> dlogits) {
  constexpr std::string_view k = "softmax_cross_entropy";
  detail::expect_view(k, "logits", logits);
  if (logits.shape.size() != 2) detail::fail(k, fmt::format("expects NxK logits, got {}", to_string(logits.shape)));
  const int64_t n = logits.shape[0], classes = logits.shape[1];
  detail::expect_size(k, "labels", labels, n);
  if (!dlogits.data.empty()) detail::expect_shape(k, "logits gradient", dlogits, logits.shape);
  if (label_smoothing < 0 || label_smoothing > 1) {
    detail::fail(k, fmt::format("label smoothing must lie in [0, 1], got {}", label_smoothing));
  }
  const T smooth = T(label_smoothing / static_cast<double>(classes));
  T total = 0;
  for (int64_t s = 0; s < n; ++s) {
    if (labels[s] < 0 || labels[s] >= classes) {
      detail::fail(k, fmt::format("label {} of sample {} is outside [0, {})", labels[s], s, classes));
    }
    const T* z = logits.data.data() + s * classes;
    T top = z[0];
    for (int64_t j = 1; j < classes; ++j) top = std::max(top, z[j]);
    T sum = 0;
    for (int64_t j = 0; j < classes; ++j) sum += std::exp(z[j] - top);
    const T log_sum = top + std::log(sum);
    for (int64_t j = 0; j < classes; ++j) {
      const T target = (j == labels[s] ? T(1 - label_smoothing) : T(0)) + smooth;
      total -= target * (z[j] - log_sum);
      if (!dlogits.data.empty()) dlogits.data[s * classes + j] = (std::exp(z[j] - log_sum) - target) / T(n);
    }
  }
  return total / T(n);
}

template float softmax_cross_entropy<float>(In<float>, std::span<const int64_t>, double, Out<float>);
template double softmax_cross_entropy<double>(In<double>, std::span<const int64_t>, double, Out<double>);

}  // namespace cnnzoo::ref
