#include "cnnzoo/parameters.h"

namespace cnnzoo {

Parameters zero_parameters(const Graph& graph) {
  Parameters out;
  for (const Node& n : graph.nodes()) {
    for (const ParamSpec& p : n.params) out.emplace(p.name, Tensor(p.shape, p.dtype));
  }
  return out;
}

}  // namespace cnnzoo
