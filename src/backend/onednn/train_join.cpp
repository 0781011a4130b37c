// Ops that reshape or combine values, for training: flatten, add, concat, the SE channel product and
// zero channel padding. Their forward passes are the inference ones; only an add may work in place.
#include <fmt/format.h>

#include "backend/onednn/plain_fallback.h"
#include "backend/onednn/trainer.h"
#include "cnnzoo/training_storage.h"

namespace cnnzoo::onednn {
void forward_flatten(Trainer& t, const Node& n) { lower_flatten(t, n); }

void backward_flatten(Trainer& t, const Node& n) {
  const Dims& x = t.graph().shape(n.inputs[0]);
  const Dims& y = t.graph().shape(n.output);
  const BufferId dy = t.as_layout(t.gradient(n.output)->buffer, plain_md(y), n.name);
  t.add_gradient(n.inputs[0], t.plan().add_alias(dy, plain_md(x), n.name + ".dx"), n.name);
}

// In place (training_output() says when), the sum accumulates into the overwritten input, oneDNN's
// first source; the others are read in its layout.
void forward_add(Trainer& t, const Node& n) {
  const ValueId over = overwritten_input(t.graph(), t.id_of(n));
  if (over < 0) return lower_add(t, n);
  const ValueState into = t.state(over);
  std::vector<memory::desc> srcs{into.md};
  std::unordered_map<int, BufferId> args{{DNNL_ARG_MULTIPLE_SRC, into.buffer}, {DNNL_ARG_DST, into.buffer}};
  for (ValueId v : n.inputs) {
    if (v == over) continue;
    args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(srcs.size())] = t.input_as(v, into.md, n.name);
    srcs.push_back(into.md);
  }
  dnnl::sum::primitive_desc pd(into.md, std::vector<float>(srcs.size(), 1.0f), srcs, t.engine());
  t.step(n.name, dnnl::sum(pd), std::move(args));
  t.set_state(n.output, into.buffer, into.md);
}

void backward_add(Trainer& t, const Node& n) {
  const BufferId dy = t.gradient(n.output)->buffer;
  for (ValueId v : n.inputs) {
    if (t.wants_gradient(v)) t.add_gradient(v, dy, n.name);
  }
}

void forward_concat(Trainer& t, const Node& n) { lower_concat(t, n); }

// Each input's gradient is its slice of dy along the concat axis, read through a sub-memory view.
void backward_concat(Trainer& t, const Node& n) {
  const auto axis = static_cast<std::size_t>(std::get<attr::Concat>(n.attrs).axis);
  const Dims& y = t.graph().shape(n.output);
  const BufferId dy = t.as_layout(t.gradient(n.output)->buffer, plain_md(y), n.name);
  int64_t offset = 0;
  for (ValueId v : n.inputs) {
    const Dims& x = t.graph().shape(v);
    if (t.wants_gradient(v)) {
      memory::dims offsets(y.size(), 0);
      offsets[axis] = offset;
      const memory::desc slice = plain_md(y).submemory_desc(to_dims(x), offsets);
      const BufferId view = t.plan().add_alias(dy, slice, n.name + ".slice");
      t.add_gradient(v, t.reorder(view, plain_md(x), n.name), n.name);
    }
    offset += x[axis];
  }
}

void forward_channel_mul(Trainer& t, const Node& n) {
  const ValueState x = t.state(n.inputs[0]);
  const ValueState s = t.state(n.inputs[1]);
  dnnl::binary::desc desc(dnnl::algorithm::binary_mul, x.md, s.md, x.md);
  dnnl::binary::primitive_desc pd(desc, t.engine());
  const BufferId dst = t.plan().add_buffer(pd.dst_desc(), n.name);
  t.step(n.name, dnnl::binary(pd), {{DNNL_ARG_SRC_0, x.buffer}, {DNNL_ARG_SRC_1, s.buffer}, {DNNL_ARG_DST, dst}});
  t.set_state(n.output, dst, pd.dst_desc());
}

// dx = dy * s and ds = sum over H, W of dy * x, by the reference kernel on plain buffers.
void backward_channel_mul(Trainer& t, const Node& n) {
  const Dims& xs = t.graph().shape(n.inputs[0]);
  const Dims& ss = t.graph().shape(n.inputs[1]);
  const BufferId x = t.input_as(n.inputs[0], plain_md(xs), n.name);
  const BufferId s = t.input_as(n.inputs[1], plain_md(ss), n.name);
  const BufferId dy = t.as_layout(t.gradient(n.output)->buffer, plain_md(xs), n.name);
  const BufferId dx = t.plan().add_buffer(plain_md(xs), n.name + ".dx");
  const BufferId ds = t.plan().add_buffer(plain_md(ss), n.name + ".ds");
  Plan& plan = t.plan();
  t.custom(n.name, {x, s, dy, dx, ds}, [&plan, x, s, dy, dx, ds, xs, ss] {
    ref::channel_mul_backward(plain_in(plan, x, xs), plain_in(plan, s, ss), plain_in(plan, dy, xs),
                              plain_out(plan, dx, xs), plain_out(plan, ds, ss));
  });
  if (t.wants_gradient(n.inputs[0])) t.add_gradient(n.inputs[0], dx, n.name);
  if (t.wants_gradient(n.inputs[1])) t.add_gradient(n.inputs[1], ds, n.name);
}

void forward_channel_pad(Trainer& t, const Node& n) { lower_channel_pad(t, n); }

void backward_channel_pad(Trainer& t, const Node& n) {
  if (!t.wants_gradient(n.inputs[0])) return;
  const auto& a = std::get<attr::ChannelPad>(n.attrs);
  const Dims& xs = t.graph().shape(n.inputs[0]);
  const Dims& ys = t.graph().shape(n.output);
  const BufferId dy = t.as_layout(t.gradient(n.output)->buffer, plain_md(ys), n.name);
  const BufferId dx = t.plan().add_buffer(plain_md(xs), n.name + ".dx");
  Plan& plan = t.plan();
  t.custom(n.name, {dy, dx}, [&plan, a, dy, dx, xs, ys] {
    ref::channel_pad_backward(a, plain_in(plan, dy, ys), plain_out(plan, dx, xs));
  });
  t.add_gradient(n.inputs[0], dx, n.name);
}

}  // namespace cnnzoo::onednn
