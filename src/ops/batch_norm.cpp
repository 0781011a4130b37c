// Batch normalisation: scale and shift (trainable), running mean and variance and the batch counter
// (buffers), under torchvision's state_dict names.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using BnRule = Rule<OpKind::BatchNorm>;

Dims BnRule::shape(const OpContext& c) {
  expect_inputs(c, name, 1, 0);
  const Dims& x = c.in[0];
  if (x.size() != 2 && x.size() != 4)
    fail(c, name, fmt::format("expects an NxC or NxCxHxW input, got {}", to_string(x)));
  const auto& a = std::get<Attr>(c.attrs);
  if (a.channels != 0 && a.channels != x[1]) {
    fail(c, name, fmt::format("expects {} input channels, got {} (input {})", a.channels, x[1], to_string(x)));
  }
  return x;
}

std::vector<ParamShape> BnRule::params(const OpContext& c) {
  const int64_t ch = c.in[0][1];
  return {{"weight", {ch}},
          {"bias", {ch}},
          {"running_mean", {ch}, ParamKind::Buffer},
          {"running_var", {ch}, ParamKind::Buffer},
          {"num_batches_tracked", {}, ParamKind::Buffer, DType::I64}};
}

// Inference folds BN into one multiply and one add per element.
Cost BnRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 2)}; }

}  // namespace cnnzoo::ops
