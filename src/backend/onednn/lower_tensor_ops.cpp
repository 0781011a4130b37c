// The general tensor ops of imported graphs. They are rare and small in the CNNs that ONNX files carry
// (a bias broadcast, a flatten written as gather and reshape), so their reference kernels run on plain
// buffers; constants become persistent buffers like weights.
#include <fmt/format.h>

#include "backend/onednn/compiler.h"
#include "backend/onednn/plain_fallback.h"
#include "cnnzoo/error.h"

namespace cnnzoo::onednn {

namespace {

using Kernel = std::function<void(std::span<const ref::In<float>>, ref::Out<float>)>;

// A broadcast add (the Add family's plain fallback), or a tensor op's reference kernel.
Kernel reference_kernel(const Node& n) {
  if (n.op == OpKind::Add) {
    return [](std::span<const ref::In<float>> xs, ref::Out<float> y) { ref::broadcast_sum_forward(xs, y); };
  }
  if (op_family(n.op) != OpFamily::TensorOp) {
    throw Error(fmt::format("{}: op {} has no plain kernel", n.name, op_name(n.op)));
  }
  return [op = n.op, a = n.attrs](std::span<const ref::In<float>> xs, ref::Out<float> y) {
    ref::tensor_op_forward(op, a, xs, y);
  };
}

}  // namespace

void lower_plain(Lowering& lowering, const Node& n) { plain_step_all(lowering, n, reference_kernel(n)); }

void lower_constant(Lowering& lowering, const Node& n) {
  const Tensor& value = lowering.param(n, "value");
  const memory::desc md = plain_md(value.shape());
  lowering.set_state(n.output, lowering.weights(value, md, md, n.name), md);
}

}  // namespace cnnzoo::onednn
