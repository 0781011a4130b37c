// Whether tensors hold only finite values: the check that sends a run of the inference engine to the
// reference interpreter when NaN or infinity is about (inference_engine.cpp says why).
#pragma once

#include <span>

#include "cnnzoo/parameters.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo::onednn {

/// No NaN and no +-infinity among `values`: one pass that the compiler vectorizes (it tests the exponent
/// bits, so it holds under -ffast-math too, where std::isfinite may be folded to true).
bool all_finite(std::span<const float> values);
/// Every float32 tensor of `tensors` (others, such as int64 counters, are not looked at).
bool all_finite(std::span<const Tensor> tensors);
bool all_finite(const Parameters& parameters);

}  // namespace cnnzoo::onednn
