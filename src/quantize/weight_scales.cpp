// What int8 layers do to their weights before quantizing them: fold the batch norm after them, then one
// symmetric scale per output channel.
#include <algorithm>
#include <cmath>

#include "cnnzoo/quantization.h"

namespace cnnzoo {

std::vector<float> weight_scales(const Tensor& weight, int64_t channels) {
  const auto w = weight.f32();
  const std::size_t per_channel = w.size() / static_cast<std::size_t>(channels);
  std::vector<float> scales(static_cast<std::size_t>(channels));
  for (std::size_t c = 0; c < scales.size(); ++c) {
    float largest = 0;
    for (std::size_t i = 0; i < per_channel; ++i) largest = std::max(largest, std::abs(w[c * per_channel + i]));
    scales[c] = largest > 0 ? largest / 127.0f : 1.0f;
  }
  return scales;
}

void fold_batch_norm(double eps, const Tensor& scale, const Tensor& shift, const Tensor& mean, const Tensor& variance,
                     Tensor& weight, Tensor& bias) {
  const auto gamma = scale.f32();
  const auto beta = shift.f32();
  const auto m = mean.f32();
  const auto var = variance.f32();
  const auto w = weight.f32();
  const auto b = bias.f32();
  const std::size_t channels = b.size();
  const std::size_t per_channel = w.size() / channels;
  for (std::size_t o = 0; o < channels; ++o) {
    const double factor = gamma[o] / std::sqrt(static_cast<double>(var[o]) + eps);
    for (std::size_t i = 0; i < per_channel; ++i) {
      w[o * per_channel + i] = static_cast<float>(w[o * per_channel + i] * factor);
    }
    b[o] = static_cast<float>((b[o] - m[o]) * factor + beta[o]);
  }
}

}  // namespace cnnzoo
