// Sync batch norm (PyTorch's SyncBatchNorm): across the ranks of a data-parallel job, batch norm normalises
// with the statistics of the job's whole batch, so that N ranks train as one process with the same batch.
//
// Forward: oneDNN's training forward gives each rank's statistics, the exchange combines them, and the
// normalisation runs again with the job's as given statistics. Backward: with given statistics oneDNN's
// backward treats them as constants, dx = g/s dy (g the scale, s = sqrt(var + eps)), and gives this rank's
// sums S1 = sum dy and S2 = sum dy x^ (its diff_shift and diff_scale). The batch statistics' own
// gradient, -g/s (S1 + x^ S2) / M over the job's sums and count M, is one multiply-add per channel in x:
// dx += A x + B with A = -g S2 / (M s^2), B = -g S1 / (M s) - A mean.
#include <cmath>

#include "backend/onednn/train_batch_norm.h"

namespace cnnzoo::onednn {
namespace {

std::span<float> floats(Plan& plan, BufferId b, std::size_t count) {
  return {static_cast<float*>(plan.data(b)), count};
}

}  // namespace

void forward_synced_batch_norm(Trainer& t, const Node& n) {
  const auto& a = std::get<attr::BatchNorm>(n.attrs);
  const ValueState x = t.state(n.inputs[0]);
  const auto eps = static_cast<float>(a.eps);
  dnnl::batch_normalization_forward::desc own(dnnl::prop_kind::forward_training, x.md, eps, kScaleShift);
  dnnl::batch_normalization_forward::primitive_desc own_pd(own, t.engine());
  dnnl::batch_normalization_forward::desc job(dnnl::prop_kind::forward_training, own_pd.src_desc(), eps,
                                              flags(t, n) | dnnl::normalization_flags::use_global_stats);
  dnnl::batch_normalization_forward::primitive_desc pd(job, t.engine());
  Saved& s = t.saved(n);
  s.inputs = {t.input_as(n.inputs[0], pd.src_desc(), n.name)};
  s.output = t.plan().add_buffer(pd.dst_desc(), n.name);
  s.mean = t.plan().add_buffer(pd.mean_desc(), n.name + ".mean");
  s.variance = t.plan().add_buffer(pd.variance_desc(), n.name + ".variance");
  s.forward = pd;
  const BufferId weight = t.parameter(n, "weight", per_channel(t, n));
  const BufferId bias = t.parameter(n, "bias", per_channel(t, n));
  // This rank's statistics (the normalised output is written, then overwritten by the job's).
  const BufferId own_mean = t.plan().add_buffer(own_pd.mean_desc(), n.name + ".rank_mean");
  const BufferId own_variance = t.plan().add_buffer(own_pd.variance_desc(), n.name + ".rank_variance");
  t.step(n.name + ".rank_statistics", dnnl::batch_normalization_forward(own_pd),
         {{DNNL_ARG_SRC, t.as_layout(s.inputs[0], own_pd.src_desc(), n.name)},
          {DNNL_ARG_DST, t.as_layout(s.output, own_pd.dst_desc(), n.name)},
          {DNNL_ARG_SCALE, weight},
          {DNNL_ARG_SHIFT, bias},
          {DNNL_ARG_MEAN, own_mean},
          {DNNL_ARG_VARIANCE, own_variance}});
  GradientExchange& exchange = *t.training_state().exchange;
  Plan& plan = t.plan();
  const auto channels = static_cast<std::size_t>(t.graph().shape(n.output)[1]);
  t.custom(n.name + ".job_statistics", {own_mean, own_variance, s.mean, s.variance},
           [&exchange, &plan, own_mean, own_variance, mean = s.mean, variance = s.variance, channels] {
             exchange.combine_statistics(floats(plan, own_mean, channels), floats(plan, own_variance, channels),
                                         floats(plan, mean, channels), floats(plan, variance, channels));
           });
  std::unordered_map<int, BufferId> args{{DNNL_ARG_SRC, s.inputs[0]}, {DNNL_ARG_DST, s.output},
                                         {DNNL_ARG_SCALE, weight},    {DNNL_ARG_SHIFT, bias},
                                         {DNNL_ARG_MEAN, s.mean},     {DNNL_ARG_VARIANCE, s.variance}};
  const Node* relu = fused_relu_node(t, n);
  if (relu != nullptr) {
    s.workspace = t.plan().add_buffer(pd.workspace_desc(), n.name + ".relu_mask");
    args[DNNL_ARG_WORKSPACE] = s.workspace;
  }
  t.step(n.name, dnnl::batch_normalization_forward(pd), std::move(args));
  update_running_statistics(t, n, s.mean, s.variance, exchange.ranks());
  t.set_state(relu != nullptr ? relu->output : n.output, s.output, pd.dst_desc());
}

void backward_synced_batch_norm(Trainer& t, const Node& n) {
  const auto& a = std::get<attr::BatchNorm>(n.attrs);
  Saved& s = t.saved(n);
  const auto& fwd = s.forward_as<dnnl::batch_normalization_forward::primitive_desc>(n);
  const memory::desc md = fwd.src_desc();
  dnnl::batch_normalization_backward::desc desc(dnnl::prop_kind::backward, md, md, static_cast<float>(a.eps),
                                                flags(t, n) | dnnl::normalization_flags::use_global_stats);
  dnnl::batch_normalization_backward::primitive_desc pd(desc, t.engine(), fwd);
  const BufferId dx = t.plan().add_buffer(pd.diff_src_desc(), n.name + ".dx");
  const BufferId x = t.input_for_backward(n, 0, md);
  const BufferId weight = t.parameter(n, "weight", per_channel(t, n));
  // This rank's sums; the bucket averages them over the ranks as every other gradient.
  const BufferId dscale = t.gradient_of(n, "weight", per_channel(t, n));
  const BufferId dshift = t.gradient_of(n, "bias", per_channel(t, n));
  const ValueState dy = *t.gradient(t.gradient_source(n));
  std::unordered_map<int, BufferId> args{{DNNL_ARG_SRC, x},
                                         {DNNL_ARG_MEAN, s.mean},
                                         {DNNL_ARG_VARIANCE, s.variance},
                                         {DNNL_ARG_DIFF_DST, t.as_layout(dy.buffer, pd.diff_dst_desc(), n.name)},
                                         {DNNL_ARG_SCALE, weight},
                                         {DNNL_ARG_SHIFT, t.parameter(n, "bias", per_channel(t, n))},
                                         {DNNL_ARG_DIFF_SRC, dx},
                                         {DNNL_ARG_DIFF_SCALE, dscale},
                                         {DNNL_ARG_DIFF_SHIFT, dshift}};
  if (fused_relu_node(t, n) != nullptr) args[DNNL_ARG_WORKSPACE] = s.workspace;
  t.step(n.name + ".given_statistics", dnnl::batch_normalization_backward(pd), std::move(args));

  // A and B per channel, from the job's sums.
  const memory::desc channel = per_channel(t, n);
  const BufferId slope = t.plan().add_buffer(channel, n.name + ".statistics_slope");
  const BufferId offset = t.plan().add_buffer(channel, n.name + ".statistics_offset");
  GradientExchange& exchange = *t.training_state().exchange;
  Plan& plan = t.plan();
  const Dims& shape = t.graph().shape(n.inputs[0]);
  const auto channels = static_cast<std::size_t>(shape[1]);
  const double job_count = static_cast<double>(numel(shape) / shape[1]) * exchange.ranks();
  t.custom(n.name + ".statistics_gradient", {dscale, dshift, s.mean, s.variance, weight, slope, offset},
           [&exchange, &plan, dscale, dshift, mean = s.mean, variance = s.variance, weight, slope, offset, channels,
            job_count, eps = a.eps] {
             std::vector<double> sums(2 * channels);
             const auto s2 = floats(plan, dscale, channels), s1 = floats(plan, dshift, channels);
             for (std::size_t c = 0; c < channels; ++c) {
               sums[c] = s1[c];
               sums[channels + c] = s2[c];
             }
             exchange.sum_blocking(sums);
             const auto mu = floats(plan, mean, channels), var = floats(plan, variance, channels);
             const auto g = floats(plan, weight, channels);
             auto A = floats(plan, slope, channels), B = floats(plan, offset, channels);
             for (std::size_t c = 0; c < channels; ++c) {
               const double sigma = std::sqrt(static_cast<double>(var[c]) + eps);
               const double slope_c = -g[c] * sums[channels + c] / (job_count * sigma * sigma);
               A[c] = static_cast<float>(slope_c);
               B[c] = static_cast<float>(-g[c] * sums[c] / (job_count * sigma) - slope_c * mu[c]);
             }
           });
  // A x + B by oneDNN's batch norm as an affine map (given mean 0, variance 1 and eps 0: A (x - 0) / 1 + B),
  // then added to dx: two passes of jit code (a binary with the add and a sum as post-ops ran reference
  // code, 100 times slower).
  dnnl::batch_normalization_forward::desc affine(dnnl::prop_kind::forward_inference, md, 0.0f,
                                                 kScaleShift | dnnl::normalization_flags::use_global_stats);
  dnnl::batch_normalization_forward::primitive_desc affine_pd(affine, t.engine());
  const BufferId correction = t.plan().add_buffer(affine_pd.dst_desc(), n.name + ".statistics_correction");
  const Dims per_channel_shape{shape[1]};
  t.step(n.name + ".statistics_correction", dnnl::batch_normalization_forward(affine_pd),
         {{DNNL_ARG_SRC, x},
          {DNNL_ARG_MEAN, t.weights(Tensor(per_channel_shape), channel, channel, n.name + ".zero_mean")},
          {DNNL_ARG_VARIANCE, t.weights(Tensor(per_channel_shape, std::vector<float>(channels, 1.0f)), channel, channel,
                                        n.name + ".unit_variance")},
          {DNNL_ARG_SCALE, slope},
          {DNNL_ARG_SHIFT, offset},
          {DNNL_ARG_DST, correction}});
  dnnl::binary::desc add(dnnl::algorithm::binary_add, pd.diff_src_desc(), affine_pd.dst_desc(), pd.diff_src_desc());
  t.step(n.name + ".statistics_gradient_added", dnnl::binary(dnnl::binary::primitive_desc(add, t.engine())),
         {{DNNL_ARG_SRC_0, dx}, {DNNL_ARG_SRC_1, correction}, {DNNL_ARG_DST, dx}});
  if (t.wants_gradient(n.inputs[0])) t.add_gradient(n.inputs[0], dx, n.name);
}

}  // namespace cnnzoo::onednn
