// The general tensor ops of imported graphs. They are rare and small in the CNNs that ONNX files carry
// (a bias broadcast, a flatten written as gather and reshape), so their reference kernels run on plain
// buffers; constants become persistent buffers like weights.
#include <fmt/format.h>

#include "backend/onednn/compiler.h"
#include "backend/onednn/plain_fallback.h"
#include "cnnzoo/error.h"
#include "ops/family_table.h"

namespace cnnzoo::onednn {

namespace {

using Kernel = std::function<void(std::span<const ref::In<float>>, ref::Out<float>)>;

// The tensor ops, and a broadcast add.
static_assert(ops::family_size(OpFamily::TensorOp) == 5, "reference_kernel() tells apart 5 tensor ops");
Kernel reference_kernel(const Node& n) {
  if (n.op == OpKind::Add) {
    return [](std::span<const ref::In<float>> xs, ref::Out<float> y) { ref::broadcast_sum_forward(xs, y); };
  }
  if (n.op == OpKind::Mul) {
    return [](std::span<const ref::In<float>> xs, ref::Out<float> y) {
      ref::broadcast_binary_forward(ref::BinaryOp::Mul, xs[0], xs[1], y);
    };
  }
  if (n.op == OpKind::Clip) {
    return [a = std::get<attr::Clip>(n.attrs)](std::span<const ref::In<float>> xs, ref::Out<float> y) {
      ref::clip_forward(a, xs[0].data, y.data);
    };
  }
  if (n.op == OpKind::MatMul) {
    return [](std::span<const ref::In<float>> xs, ref::Out<float> y) { ref::matmul_forward(xs[0], xs[1], y); };
  }
  if (n.op == OpKind::Transpose) {
    return [a = std::get<attr::Transpose>(n.attrs)](std::span<const ref::In<float>> xs, ref::Out<float> y) {
      ref::transpose_forward(a, xs[0], y);
    };
  }
  if (n.op == OpKind::Gather) {
    return [a = std::get<attr::Gather>(n.attrs)](std::span<const ref::In<float>> xs, ref::Out<float> y) {
      ref::gather_forward(a, xs[0], y);
    };
  }
  throw Error(fmt::format("{}: op {} has no plain kernel", n.name, op_name(n.op)));
}

}  // namespace

void lower_plain(Lowering& lowering, const Node& n) { plain_step_all(lowering, n, reference_kernel(n)); }

void lower_constant(Lowering& lowering, const Node& n) {
  const Tensor& value = lowering.param(n, "value");
  const memory::desc md = plain_md(value.shape());
  lowering.set_state(n.output, lowering.weights(value, md, md, n.name), md);
}

}  // namespace cnnzoo::onednn
