#include "backend/onednn/plain_fallback.h"

namespace cnnzoo::onednn {

ref::In<float> plain_in(Plan& plan, BufferId buffer, const Dims& shape) {
  return {{static_cast<const float*>(plan.data(buffer)), static_cast<std::size_t>(numel(shape))}, shape};
}

ref::Out<float> plain_out(Plan& plan, BufferId buffer, const Dims& shape) {
  return {{static_cast<float*>(plan.data(buffer)), static_cast<std::size_t>(numel(shape))}, shape};
}

BufferId plain_step(Lowering& c, const Node& n, std::function<void(ref::In<float>, ref::Out<float>)> kernel) {
  const Dims& x_shape = c.graph().shape(n.inputs[0]);
  const Dims& y_shape = c.graph().shape(n.output);
  const BufferId x = c.input_as(n.inputs[0], plain_md(x_shape), n.name);
  const BufferId y = c.plan().add_buffer(plain_md(y_shape), n.name);
  Plan& plan = c.plan();
  c.plan().touch(x);
  c.plan().touch(y);
  Step s{.label = n.name};
  s.custom = [&plan, x, y, x_shape, y_shape, kernel = std::move(kernel)] {
    kernel(plain_in(plan, x, x_shape), plain_out(plan, y, y_shape));
  };
  c.plan().add_step(std::move(s));
  c.set_state(n.output, y, plain_md(y_shape));
  return x;
}

std::function<void(ref::In<float>, ref::Out<float>)> reference_pool(const Node& n) {
  if (n.op == OpKind::AdaptiveAvgPool) {
    return [a = std::get<attr::AdaptiveAvgPool>(n.attrs)](ref::In<float> x, ref::Out<float> y) {
      ref::adaptive_avg_pool2d_forward(a, x, y);
    };
  }
  return [a = std::get<attr::Pool>(n.attrs)](ref::In<float> x, ref::Out<float> y) { ref::avg_pool2d_forward(a, x, y); };
}

}  // namespace cnnzoo::onednn
