// The largest set of tensors alive at once when the nodes run in order: what a memory plan that reuses
// buffers (but computes nothing in place) needs for activations.
#include "analysis/liveness.h"

#include <algorithm>

#include "cnnzoo/checked.h"

namespace cnnzoo {

int64_t peak_live_bytes(const Graph& g, NodeId last) {
  const auto count = static_cast<std::size_t>(last + 1);
  // Each value lives from its producer (the input from before node 0) to its last consumer; graph
  // outputs to the end.
  std::vector<int64_t> delta(count + 1, 0);  // bytes that come alive at step i (negative: freed after i - 1)
  auto live = [&](ValueId v, NodeId from) {
    NodeId until = from;
    for (NodeId c : g.value(v).consumers) {
      if (c <= last) until = std::max(until, c);
    }
    if (g.is_output(v)) until = last;
    const int64_t bytes = checked_mul(numel(g.shape(v)), 4, "live bytes");
    add_to(delta[static_cast<std::size_t>(from)], bytes, "live bytes");
    add_to(delta[static_cast<std::size_t>(until) + 1], -bytes, "live bytes");
  };
  for (ValueId v : g.inputs()) live(v, 0);
  for (NodeId id = 0; id <= last; ++id) live(g.node(id).output, id);
  int64_t now = 0, peak = 0;
  for (std::size_t i = 0; i < count; ++i) {
    add_to(now, delta[i], "peak live bytes");
    peak = std::max(peak, now);
  }
  return peak;
}

}  // namespace cnnzoo
