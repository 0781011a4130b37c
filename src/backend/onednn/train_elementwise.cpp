// The activations (oneDNN eltwise, algorithms by op in eltwise_ops.cpp), softmax, and dropout with a seeded
// mask per step.
#include <fmt/format.h>

#include "backend/onednn/eltwise_ops.h"
#include "backend/onednn/trainer.h"
#include "cnnzoo/init.h"
#include "cnnzoo/training_storage.h"

namespace cnnzoo::onednn {

// Every activation's backward reads the output (ReLU's: y > 0 exactly where x > 0), so a ReLU may overwrite
// its input.
void forward_eltwise(Trainer& t, const Node& n) {
  const ValueState x = t.state(n.inputs[0]);
  const EltwiseOp op = eltwise_op(n);
  dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_training, op.training, x.md, op.alpha, op.beta);
  dnnl::eltwise_forward::primitive_desc pd(desc, t.engine());
  Saved& s = t.saved(n);
  const bool in_place = training_output(t.graph(), t.id_of(n)) == TrainingOutput::InPlace;
  s.output = in_place ? x.buffer : t.plan().add_buffer(pd.dst_desc(), n.name);
  s.forward = pd;
  t.step(n.name, dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, x.buffer}, {DNNL_ARG_DST, s.output}});
  t.set_state(n.output, s.output, pd.dst_desc());
}

void backward_eltwise(Trainer& t, const Node& n) {
  if (!t.wants_gradient(n.inputs[0])) return;
  Saved& s = t.saved(n);
  const auto& fwd = s.forward_as<dnnl::eltwise_forward::primitive_desc>(n);
  const EltwiseOp op = eltwise_op(n);
  dnnl::eltwise_backward::desc desc(op.training, fwd.dst_desc(), fwd.src_desc(), op.alpha, op.beta);
  dnnl::eltwise_backward::primitive_desc pd(desc, t.engine(), fwd);
  const BufferId dx = t.plan().add_buffer(pd.diff_src_desc(), n.name + ".dx");
  // A use_dst algorithm reads DNNL_ARG_DST; eltwise_linear (scale) asks for DNNL_ARG_SRC but reads no values of
  // it (eltwise_ops.cpp), and the output has the input's descriptor.
  t.step(n.name, dnnl::eltwise_backward(pd),
         {{DNNL_ARG_DST, s.output},
          {DNNL_ARG_SRC, s.output},
          {DNNL_ARG_DIFF_DST, t.as_layout(t.gradient(n.output)->buffer, pd.diff_dst_desc(), n.name)},
          {DNNL_ARG_DIFF_SRC, dx}});
  t.add_gradient(n.inputs[0], dx, n.name);
}

void forward_softmax(Trainer& t, const Node& n) {
  const auto& a = std::get<attr::Softmax>(n.attrs);
  const ValueState x = t.state(n.inputs[0]);
  dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_training, x.md, static_cast<int>(a.axis));
  dnnl::softmax_forward::primitive_desc pd(desc, t.engine());
  Saved& s = t.saved(n);
  s.output = t.plan().add_buffer(pd.dst_desc(), n.name);
  s.forward = pd;
  t.step(n.name, dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, x.buffer}, {DNNL_ARG_DST, s.output}});
  t.set_state(n.output, s.output, pd.dst_desc());
}

void backward_softmax(Trainer& t, const Node& n) {
  if (!t.wants_gradient(n.inputs[0])) return;
  const auto& a = std::get<attr::Softmax>(n.attrs);
  Saved& s = t.saved(n);
  const auto& fwd = s.forward_as<dnnl::softmax_forward::primitive_desc>(n);
  dnnl::softmax_backward::desc desc(fwd.dst_desc(), fwd.dst_desc(), static_cast<int>(a.axis));
  dnnl::softmax_backward::primitive_desc pd(desc, t.engine(), fwd);
  const BufferId dx = t.plan().add_buffer(pd.diff_src_desc(), n.name + ".dx");
  t.step(n.name, dnnl::softmax_backward(pd),
         {{DNNL_ARG_DST, s.output},
          {DNNL_ARG_DIFF_DST, t.as_layout(t.gradient(n.output)->buffer, pd.diff_dst_desc(), n.name)},
          {DNNL_ARG_DIFF_SRC, dx}});
  t.add_gradient(n.inputs[0], dx, n.name);
}

// y = x * mask / (1 - p), a product as in PyTorch, so that a dropped NaN or infinity gives NaN; the mask drawn from
// (seed, node, step) so a run is repeatable. The mask indexes elements in row-major order, whatever layout the input
// had, so it is reproducible anywhere.
void forward_dropout(Trainer& t, const Node& n) {
  const double p = t.options().dropout ? std::get<attr::Dropout>(n.attrs).p : 0.0;
  const Dims& shape = t.graph().shape(n.inputs[0]);
  const ValueState x{t.input_as(n.inputs[0], plain_md(shape), n.name), plain_md(shape)};
  const int64_t count = numel(shape);
  Saved& s = t.saved(n);
  s.inputs = {x.buffer};
  s.mask = t.plan().add_buffer(memory::desc({count}, dt::u8, tag::a), n.name + ".mask");
  s.output = t.plan().add_buffer(x.md, n.name);
  Plan& plan = t.plan();
  TrainingState& state = t.training_state();
  // Data parallel, rank r's share of the batch is the r-th slice of one process's: its mask is that slice of
  // the whole batch's mask (the ranks' shares are equal).
  const int64_t first = state.exchange != nullptr ? state.exchange->rank() * count : 0;
  t.custom(n.name, {x.buffer, s.mask, s.output},
           [&plan, &state, in = x.buffer, mask = s.mask, out = s.output, count, first, p, name = n.name,
            seed = t.options().seed] {
             const uint64_t key = stream_key(fmt::format("{}@{}", name, state.step), seed);
             const auto* xp = static_cast<const float*>(plan.data(in));
             auto* mp = static_cast<uint8_t*>(plan.data(mask));
             auto* yp = static_cast<float*>(plan.data(out));
             const auto scale = static_cast<float>(1.0 / (1.0 - p));
             for (int64_t i = 0; i < count; ++i) {
               mp[i] = unit_uniform(key, static_cast<uint64_t>(first + i)) >= p ? 1 : 0;
               yp[i] = xp[i] * (mp[i] ? scale : 0.0f);
             }
           });
  t.set_state(n.output, s.output, x.md);
}

void backward_dropout(Trainer& t, const Node& n) {
  if (!t.wants_gradient(n.inputs[0])) return;
  const double p = t.options().dropout ? std::get<attr::Dropout>(n.attrs).p : 0.0;
  Saved& s = t.saved(n);
  const memory::desc md = t.plan().buffer(s.output).md;
  const BufferId dy = t.as_layout(t.gradient(n.output)->buffer, md, n.name);
  const BufferId dx = t.plan().add_buffer(md, n.name + ".dx");
  const int64_t count = numel(t.graph().shape(n.output));
  Plan& plan = t.plan();
  t.custom(n.name, {dy, s.mask, dx}, [&plan, dy, mask = s.mask, dx, count, p] {
    const auto* gp = static_cast<const float*>(plan.data(dy));
    const auto* mp = static_cast<const uint8_t*>(plan.data(mask));
    auto* out = static_cast<float*>(plan.data(dx));
    const auto scale = static_cast<float>(1.0 / (1.0 - p));
    for (int64_t i = 0; i < count; ++i) out[i] = gp[i] * (mp[i] ? scale : 0.0f);
  });
  t.add_gradient(n.inputs[0], dx, n.name);
}

}  // namespace cnnzoo::onednn
