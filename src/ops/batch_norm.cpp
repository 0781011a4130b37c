// Batch normalisation: scale and shift (trainable), running mean and variance and the batch counter
// (buffers), under torchvision's state_dict names.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using BnRule = Rule<OpKind::BatchNorm>;

Dims BnRule::shape(const OpContext& ctx) {
  expect_inputs(ctx, name, 1, 0);
  const Dims& x = ctx.in[0];
  if (x.size() != 2 && x.size() != 4)
    fail(ctx, name, fmt::format("expects an NxC or NxCxHxW input, got {}", to_string(x)));
  const auto& a = std::get<Attr>(ctx.attrs);
  if (a.channels != 0 && a.channels != x[1]) {
    fail(ctx, name, fmt::format("expects {} input channels, got {} (input {})", a.channels, x[1], to_string(x)));
  }
  return x;
}

std::vector<ParamShape> BnRule::params(const OpContext& ctx) {
  const int64_t ch = ctx.in[0][1];
  return {{"weight", {ch}},
          {"bias", {ch}},
          {"running_mean", {ch}, ParamKind::Buffer},
          {"running_var", {ch}, ParamKind::Buffer},
          {"num_batches_tracked", {}, ParamKind::Buffer, DType::I64}};
}

// Inference folds BN into one multiply and one add per element.
Cost BnRule::cost(const OpContext&, const Dims& out) { return {0, flops_per_element(out, 2)}; }

const OpTraits BnRule::traits{.trains = true, .folds_into_previous_row = true};

}  // namespace cnnzoo::ops
