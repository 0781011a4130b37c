// Where a training step keeps each node's output until the backward pass. The CPU training engine
// follows this rule, and `summary`'s training-memory estimate counts by it, so the two agree.
#pragma once

#include <cstdint>

#include "cnnzoo/graph.h"

namespace cnnzoo {

enum class TrainingOutput : uint8_t {
  Own,      ///< a buffer of its own
  InPlace,  ///< written over an input that nothing reads afterwards (a ReLU, an add)
  Fused,    ///< a ReLU that the batch norm before it applies: the batch norm's buffer, plus a bit mask
  /// Dropped once its readers have run, and computed again from its input (which its own backward keeps
  /// anyway) when their backward passes need it: a batch norm that applies its ReLU, read only by
  /// convolutions and linear layers; a 1x1 convolution on at most 128 channels read only by batch norms.
  Recomputed,
};

/// How node `id` stores its output in a training step:
/// - a ReLU is Fused into the batch norm that produces its input, when it is that output's only reader;
///   that batch norm's output is Recomputed when only convolutions and linear layers read the ReLU's;
/// - a 1x1 convolution on at most 128 input channels whose output only batch norms read is Recomputed
///   (cheap: few multiply-adds per byte it would keep);
/// - a ReLU, or an add of same-shaped inputs, is InPlace over an input value that it alone reads, whose
///   producer's backward does not read that output (sigmoid, softmax, ReLU do) and which is no view of
///   another value (is_view() in training: flatten) nor a graph input, output or constant, and has no
///   view read by another node. ReLU's backward then reads its
///   output (y > 0 exactly where x > 0), and an add's backward reads nothing;
/// - everything else has its Own buffer.
TrainingOutput training_output(const Graph& graph, NodeId id);

/// The ReLU that batch norm `id` applies (the node whose output is Fused into it), or kNoNode.
NodeId fused_relu(const Graph& graph, NodeId batch_norm);

/// The input value an InPlace node overwrites (the first that may be overwritten); -1 for others.
ValueId overwritten_input(const Graph& graph, NodeId id);

}  // namespace cnnzoo
