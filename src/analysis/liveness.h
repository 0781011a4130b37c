#pragma once

#include "cnnzoo/graph.h"

namespace cnnzoo {

/// Peak bytes (fp32) of node outputs alive at once when nodes 0..last run in order, the input included.
int64_t peak_live_bytes(const Graph& graph, NodeId last);

}  // namespace cnnzoo
