// Which values share a buffer, and when an op may write its output over its input's. Every in-place
// decision (the inference compiler's ReLU, sigmoid, channel product and fused sum; the training storage
// rule) asks here, so that an op that views its input is known in one place.
#pragma once

#include <cstdint>
#include <vector>

#include "cnnzoo/graph.h"

namespace cnnzoo {

/// The engines differ on one op: dropout is the identity at inference, a masked copy in training.
enum class Pass : uint8_t { Inference, Training };

/// Whether the output of `op` is its (first) input's buffer seen with another shape, no copy made:
/// flatten and reshape always, dropout at inference only.
bool is_view(OpKind op, Pass pass);

/// The value whose buffer `v` is: `v` itself, or, when `v` is a view, the value the chain of views
/// starts from.
ValueId buffer_owner(const Graph& graph, ValueId v, Pass pass);

/// The values that share `owner`'s buffer: `owner` and its views, transitively (a view of a view).
std::vector<ValueId> buffer_sharers(const Graph& graph, ValueId owner, Pass pass);

/// Every node that reads the buffer of `v`: the consumers of each value that shares it, except the views
/// themselves (their readers count instead).
std::vector<NodeId> buffer_readers(const Graph& graph, ValueId v, Pass pass);

/// Whether the step lowered for node `at` may write over the buffer of `v` on behalf of `user`, one of
/// the buffer's readers: the buffer is computed afresh at each run (no graph input, no constant's
/// persistent buffer), no value that shares it is a graph output, and every other reader of it, through
/// views too, comes before `at` (so has run). With `at` = `user`: the op itself works in place.
bool may_overwrite_buffer(const Graph& graph, ValueId v, NodeId user, NodeId at, Pass pass);

}  // namespace cnnzoo
