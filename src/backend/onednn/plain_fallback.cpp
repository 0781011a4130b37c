#include "backend/onednn/plain_fallback.h"

namespace cnnzoo::onednn {

ref::In<float> plain_in(Plan& plan, BufferId buffer, const Dims& shape) {
  return {{static_cast<const float*>(plan.data(buffer)), static_cast<std::size_t>(numel(shape))}, shape};
}

ref::Out<float> plain_out(Plan& plan, BufferId buffer, const Dims& shape) {
  return {{static_cast<float*>(plan.data(buffer)), static_cast<std::size_t>(numel(shape))}, shape};
}

namespace {

// The node's inputs made plain, and their shapes.
struct PlainInputs {
  std::vector<BufferId> buffers;
  std::vector<Dims> shapes;
};

PlainInputs plain_inputs(Lowering& lowering, const Node& n) {
  PlainInputs in;
  for (ValueId v : n.inputs) {
    in.shapes.push_back(lowering.graph().shape(v));
    in.buffers.push_back(lowering.input_as(v, plain_md(in.shapes.back()), n.name));
    lowering.plan().touch(in.buffers.back());
  }
  return in;
}

}  // namespace

std::vector<BufferId> plain_step_all(Lowering& lowering, const Node& n,
                                     std::function<void(std::span<const ref::In<float>>, ref::Out<float>)> kernel) {
  PlainInputs in = plain_inputs(lowering, n);
  std::vector<BufferId> buffers = in.buffers;
  const Dims& y_shape = lowering.graph().shape(n.output);
  const BufferId y = lowering.plan().add_buffer(plain_md(y_shape), n.name);
  Plan& plan = lowering.plan();
  lowering.plan().touch(y);
  Step s{.label = n.name};
  s.custom = [&plan, in = std::move(in), y, y_shape, kernel = std::move(kernel)] {
    std::vector<ref::In<float>> views;
    for (std::size_t i = 0; i < in.buffers.size(); ++i) views.push_back(plain_in(plan, in.buffers[i], in.shapes[i]));
    kernel(views, plain_out(plan, y, y_shape));
  };
  lowering.plan().add_step(std::move(s));
  lowering.set_state(n.output, y, plain_md(y_shape));
  return buffers;
}

BufferId plain_step(Lowering& lowering, const Node& n, std::function<void(ref::In<float>, ref::Out<float>)> kernel) {
  return plain_step_all(
             lowering, n,
             [kernel = std::move(kernel)](std::span<const ref::In<float>> xs, ref::Out<float> y) { kernel(xs[0], y); })
      .at(0);
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
