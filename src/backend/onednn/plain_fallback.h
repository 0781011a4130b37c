// A step that runs a reference kernel on plain (row-major) buffers, for the rare shapes oneDNN does not
// express: adaptive pooling whose windows overlap, average pooling whose ceil-mode windows PyTorch clips,
// zero channel padding, and the general tensor ops of imported graphs.
#pragma once

#include <functional>
#include <span>

#include "backend/onednn/compiler.h"
#include "cnnzoo/reference.h"

namespace cnnzoo::onednn {

/// A plan buffer in plain layout seen as a reference-kernel view of `shape` (valid after finalize()).
ref::In<float> plain_in(Plan& plan, BufferId buffer, const Dims& shape);
ref::Out<float> plain_out(Plan& plan, BufferId buffer, const Dims& shape);

/// Reorders the node's first input to plain layout, runs `kernel(x, y)` into a new plain output buffer
/// and records that buffer as the node's output. Returns the plain input buffer.
BufferId plain_step(Lowering& lowering, const Node& n, std::function<void(ref::In<float>, ref::Out<float>)> kernel);

/// Reorders every input of the node to plain layout and runs `kernel(inputs, y)` into a new plain
/// output buffer recorded as the node's output. Returns the plain input buffers.
std::vector<BufferId> plain_step_all(Lowering& lowering, const Node& n,
                                     std::function<void(std::span<const ref::In<float>>, ref::Out<float>)> kernel);

/// The reference forward kernel of an average or adaptive average pooling node.
std::function<void(ref::In<float>, ref::Out<float>)> reference_pool(const Node& n);

}  // namespace cnnzoo::onednn
