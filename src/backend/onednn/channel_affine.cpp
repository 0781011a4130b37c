// The fixed per-channel affine map (Inception-v3's input transform), inference and training: its reference
// kernel on plain buffers. It reads the network's input, which is plain already, and costs 2 FLOPs an element;
// no oneDNN primitive takes a per-channel scale and shift without a batch norm's statistics.
#include "backend/onednn/plain_fallback.h"
#include "backend/onednn/trainer.h"

namespace cnnzoo::onednn {

void lower_channel_affine(Lowering& lowering, const Node& n) {
  const auto& a = std::get<attr::ChannelAffine>(n.attrs);
  plain_step(lowering, n, [a](ref::In<float> x, ref::Out<float> y) { ref::channel_affine_forward(a, x, y); });
}

void forward_channel_affine(Trainer& t, const Node& n) { lower_channel_affine(t, n); }

void backward_channel_affine(Trainer& t, const Node& n) {
  if (!t.wants_gradient(n.inputs[0])) return;
  const auto& a = std::get<attr::ChannelAffine>(n.attrs);
  const Dims& shape = t.graph().shape(n.output);
  const BufferId dy = t.as_layout(t.gradient(n.output)->buffer, plain_md(shape), n.name);
  const BufferId dx = t.plan().add_buffer(plain_md(shape), n.name + ".dx");
  Plan& plan = t.plan();
  t.custom(n.name, {dy, dx}, [&plan, a, dy, dx, shape] {
    ref::channel_affine_backward(a, plain_in(plan, dy, shape), plain_out(plan, dx, shape));
  });
  t.add_gradient(n.inputs[0], dx, n.name);
}

}  // namespace cnnzoo::onednn
