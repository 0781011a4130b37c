#include "backend/onednn/finite_scan.h"

#include <bit>
#include <cstdint>

namespace cnnzoo::onednn {
namespace {

constexpr uint32_t kExponent = 0x7f800000u;  // all ones: infinity (zero mantissa) or NaN

bool finite_f32(const Tensor& t) { return t.dtype() != DType::F32 || all_finite(t.f32()); }

}  // namespace

bool all_finite(std::span<const float> values) {
  // No early exit: a branch per element would keep the loop from being vectorized, and a finite input,
  // the common case, is read to the end anyway.
  uint32_t non_finite = 0;
  for (const float v : values)
    non_finite |= static_cast<uint32_t>((std::bit_cast<uint32_t>(v) & kExponent) == kExponent);
  return non_finite == 0;
}

bool all_finite(std::span<const Tensor> tensors) {
  for (const Tensor& t : tensors) {
    if (!finite_f32(t)) return false;
  }
  return true;
}

bool all_finite(const Parameters& parameters) {
  for (const auto& [name, t] : parameters) {
    if (!finite_f32(t)) return false;
  }
  return true;
}

}  // namespace cnnzoo::onednn
