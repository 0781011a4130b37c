// Batch norm with batch statistics (and PyTorch's running-statistics update), and LRN with its workspace.
#include "backend/onednn/plain_fallback.h"
#include "backend/onednn/train_batch_norm.h"
#include "backend/onednn/trainer.h"
#include "cnnzoo/training_storage.h"

namespace cnnzoo::onednn {

// The ReLU this batch norm applies (training_output() says Fused), if any.
const Node* fused_relu_node(const Trainer& t, const Node& n) {
  const NodeId relu = cnnzoo::fused_relu(t.graph(), t.id_of(n));
  return relu != kNoNode ? &t.graph().node(relu) : nullptr;
}

// With a fused ReLU, oneDNN keeps a bit mask of the positive outputs in the workspace for backward.
dnnl::normalization_flags flags(const Trainer& t, const Node& n) {
  return fused_relu_node(t, n) != nullptr ? kScaleShift | dnnl::normalization_flags::fuse_norm_relu : kScaleShift;
}

memory::desc per_channel(const Trainer& t, const Node& n) {
  return memory::desc({t.graph().shape(n.output)[1]}, dt::f32, tag::a);
}

// PyTorch: running = (1 - m) running + m batch, with the unbiased batch variance; one more batch tracked.
void update_running_statistics(Trainer& t, const Node& n, BufferId mean, BufferId variance, int64_t batches) {
  const auto& a = std::get<attr::BatchNorm>(n.attrs);
  const Dims& x = t.graph().shape(n.inputs[0]);
  const double count = static_cast<double>(numel(x) / x[1]) * static_cast<double>(batches);
  const double unbias = count > 1 ? count / (count - 1) : 1.0;
  const BufferId rm = t.parameter(n, "running_mean", per_channel(t, n));
  const BufferId rv = t.parameter(n, "running_var", per_channel(t, n));
  int64_t* tracked = t.writable_param(n, "num_batches_tracked").i64().data();
  const auto channels = static_cast<std::size_t>(x[1]);
  Plan& plan = t.plan();
  t.custom(n.name + ".running_stats", {mean, variance, rm, rv},
           [&plan, mean, variance, rm, rv, tracked, channels, m = a.momentum, unbias] {
             const auto* bm = static_cast<const float*>(plan.data(mean));
             const auto* bv = static_cast<const float*>(plan.data(variance));
             auto* pm = static_cast<float*>(plan.data(rm));
             auto* pv = static_cast<float*>(plan.data(rv));
             for (std::size_t c = 0; c < channels; ++c) {
               pm[c] = static_cast<float>((1 - m) * pm[c] + m * bm[c]);
               pv[c] = static_cast<float>((1 - m) * pv[c] + m * bv[c] * unbias);
             }
             ++*tracked;
           });
}

void forward_batch_norm(Trainer& t, const Node& n) {
  if (t.synced_batch_norm()) return forward_synced_batch_norm(t, n);
  const auto& a = std::get<attr::BatchNorm>(n.attrs);
  const ValueState x = t.state(n.inputs[0]);
  dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_training, x.md, static_cast<float>(a.eps),
                                               flags(t, n));
  dnnl::batch_normalization_forward::primitive_desc pd(desc, t.engine());
  Saved& s = t.saved(n);
  s.inputs = {t.input_as(n.inputs[0], pd.src_desc(), n.name)};
  s.output = t.plan().add_buffer(pd.dst_desc(), n.name);
  s.mean = t.plan().add_buffer(pd.mean_desc(), n.name + ".mean");
  s.variance = t.plan().add_buffer(pd.variance_desc(), n.name + ".variance");
  s.forward = pd;
  std::unordered_map<int, BufferId> args{{DNNL_ARG_SRC, s.inputs[0]},
                                         {DNNL_ARG_DST, s.output},
                                         {DNNL_ARG_SCALE, t.parameter(n, "weight", per_channel(t, n))},
                                         {DNNL_ARG_SHIFT, t.parameter(n, "bias", per_channel(t, n))},
                                         {DNNL_ARG_MEAN, s.mean},
                                         {DNNL_ARG_VARIANCE, s.variance}};
  const Node* relu = fused_relu_node(t, n);
  if (relu != nullptr) {
    s.workspace = t.plan().add_buffer(pd.workspace_desc(), n.name + ".relu_mask");
    args[DNNL_ARG_WORKSPACE] = s.workspace;
  }
  t.step(n.name, dnnl::batch_normalization_forward(pd), std::move(args));
  update_running_statistics(t, n, s.mean, s.variance, 1);
  t.set_state(relu != nullptr ? relu->output : n.output, s.output, pd.dst_desc());
}

BufferId recompute_batch_norm_relu(Trainer& t, const Node& n) {
  const auto& a = std::get<attr::BatchNorm>(n.attrs);
  Saved& s = t.saved(n);
  const auto& fwd = s.forward_as<dnnl::batch_normalization_forward::primitive_desc>(n);
  // The batch's own statistics, saved by the forward pass, as "global" ones: the same normalisation.
  dnnl::batch_normalization_forward::desc desc(
      dnnl::prop_kind::forward_inference, fwd.src_desc(), static_cast<float>(a.eps),
      kScaleShift | dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::fuse_norm_relu);
  dnnl::batch_normalization_forward::primitive_desc pd(desc, t.engine());
  const BufferId dst = t.plan().add_buffer(pd.dst_desc(), n.name + ".recomputed");
  t.step(n.name + ".recompute", dnnl::batch_normalization_forward(pd),
         {{DNNL_ARG_SRC, t.input_for_backward(n, 0, fwd.src_desc())},
          {DNNL_ARG_MEAN, s.mean},
          {DNNL_ARG_VARIANCE, s.variance},
          {DNNL_ARG_SCALE, t.parameter(n, "weight", per_channel(t, n))},
          {DNNL_ARG_SHIFT, t.parameter(n, "bias", per_channel(t, n))},
          {DNNL_ARG_DST, dst}});
  return dst;
}

void backward_batch_norm(Trainer& t, const Node& n) {
  if (t.synced_batch_norm()) return backward_synced_batch_norm(t, n);
  const auto& a = std::get<attr::BatchNorm>(n.attrs);
  Saved& s = t.saved(n);
  const auto& fwd = s.forward_as<dnnl::batch_normalization_forward::primitive_desc>(n);
  const memory::desc md = fwd.src_desc();
  dnnl::batch_normalization_backward::desc desc(dnnl::prop_kind::backward, md, md, static_cast<float>(a.eps),
                                                flags(t, n));
  dnnl::batch_normalization_backward::primitive_desc pd(desc, t.engine(), fwd);
  const BufferId dx = t.plan().add_buffer(pd.diff_src_desc(), n.name + ".dx");
  const Node* relu = fused_relu_node(t, n);
  const ValueState dy = *t.gradient(t.gradient_source(n));
  std::unordered_map<int, BufferId> args{{DNNL_ARG_SRC, t.input_for_backward(n, 0, md)},
                                         {DNNL_ARG_MEAN, s.mean},
                                         {DNNL_ARG_VARIANCE, s.variance},
                                         {DNNL_ARG_DIFF_DST, t.as_layout(dy.buffer, pd.diff_dst_desc(), n.name)},
                                         {DNNL_ARG_SCALE, t.parameter(n, "weight", per_channel(t, n))},
                                         {DNNL_ARG_SHIFT, t.parameter(n, "bias", per_channel(t, n))},
                                         {DNNL_ARG_DIFF_SRC, dx},
                                         {DNNL_ARG_DIFF_SCALE, t.gradient_of(n, "weight", per_channel(t, n))},
                                         {DNNL_ARG_DIFF_SHIFT, t.gradient_of(n, "bias", per_channel(t, n))}};
  if (relu != nullptr) args[DNNL_ARG_WORKSPACE] = s.workspace;
  t.step(n.name, dnnl::batch_normalization_backward(pd), std::move(args));
  if (t.wants_gradient(n.inputs[0])) t.add_gradient(n.inputs[0], dx, n.name);
}

void forward_lrn(Trainer& t, const Node& n) {
  const auto& a = std::get<attr::Lrn>(n.attrs);
  if (a.size % 2 == 0) {  // oneDNN centres an even window one channel later than PyTorch
    t.saved(n).inputs = {plain_step(t, n, [a](ref::In<float> x, ref::Out<float> y) { ref::lrn_forward(a, x, y); })};
    return;
  }
  const ValueState x = t.state(n.inputs[0]);
  dnnl::lrn_forward::desc desc(dnnl::prop_kind::forward_training, dnnl::algorithm::lrn_across_channels, x.md, a.size,
                               static_cast<float>(a.alpha), static_cast<float>(a.beta), static_cast<float>(a.k));
  dnnl::lrn_forward::primitive_desc pd(desc, t.engine());
  Saved& s = t.saved(n);
  s.inputs = {t.input_as(n.inputs[0], pd.src_desc(), n.name)};
  s.output = t.plan().add_buffer(pd.dst_desc(), n.name);
  s.workspace = t.plan().add_buffer(pd.workspace_desc(), n.name + ".workspace");
  s.forward = pd;
  t.step(n.name, dnnl::lrn_forward(pd),
         {{DNNL_ARG_SRC, s.inputs[0]}, {DNNL_ARG_DST, s.output}, {DNNL_ARG_WORKSPACE, s.workspace}});
  t.set_state(n.output, s.output, pd.dst_desc());
}

void backward_lrn(Trainer& t, const Node& n) {
  const auto& a = std::get<attr::Lrn>(n.attrs);
  Saved& s = t.saved(n);
  if (a.size % 2 == 0) {
    const Dims& shape = t.graph().shape(n.output);
    const BufferId dy = t.as_layout(t.gradient(n.output)->buffer, plain_md(shape), n.name);
    const BufferId dx = t.plan().add_buffer(plain_md(shape), n.name + ".dx");
    Plan& plan = t.plan();
    t.custom(n.name, {s.inputs[0], dy, dx}, [&plan, a, x = s.inputs[0], dy, dx, shape] {
      ref::lrn_backward<float>(a, plain_in(plan, x, shape), plain_in(plan, dy, shape), plain_out(plan, dx, shape));
    });
    if (t.wants_gradient(n.inputs[0])) t.add_gradient(n.inputs[0], dx, n.name);
    return;
  }
  const auto& fwd = s.forward_as<dnnl::lrn_forward::primitive_desc>(n);
  dnnl::lrn_backward::desc desc(dnnl::algorithm::lrn_across_channels, fwd.src_desc(), fwd.dst_desc(), a.size,
                                static_cast<float>(a.alpha), static_cast<float>(a.beta), static_cast<float>(a.k));
  dnnl::lrn_backward::primitive_desc pd(desc, t.engine(), fwd);
  const BufferId dx = t.plan().add_buffer(pd.diff_src_desc(), n.name + ".dx");
  t.step(n.name, dnnl::lrn_backward(pd),
         {{DNNL_ARG_SRC, s.inputs[0]},
          {DNNL_ARG_DIFF_DST, t.as_layout(t.gradient(n.output)->buffer, pd.diff_dst_desc(), n.name)},
          {DNNL_ARG_WORKSPACE, s.workspace},
          {DNNL_ARG_DIFF_SRC, dx}});
  if (t.wants_gradient(n.inputs[0])) t.add_gradient(n.inputs[0], dx, n.name);
}

}  // namespace cnnzoo::onednn
