// The parity-test fill of init.h; scripts/cnnzoo_rng.py's test_state_dict follows the same table.
#include <cmath>

#include "cnnzoo/init.h"
#include "init/param_role.h"

namespace cnnzoo {

Parameters test_parameters(const Graph& graph, uint64_t seed) {
  using init::Role;
  Parameters out;
  for (const Node& n : graph.nodes()) {
    for (const ParamSpec& p : n.params) {
      const init::ParamRole r = init::param_role(n, p);
      Tensor t(p.shape, p.dtype);
      const uint64_t key = stream_key(p.name, seed);
      if (r.layer != init::Layer::BatchNorm) {
        const double bound = r.role == Role::Weight ? std::sqrt(3.0 / static_cast<double>(r.fan_in)) : 0.1;
        fill_uniform(t.f32(), key, -bound, bound);
      } else if (r.role == Role::Weight || r.role == Role::RunningVar) {
        fill_uniform(t.f32(), key, 0.5, 1.5);
      } else if (r.role == Role::Bias || r.role == Role::RunningMean) {
        fill_uniform(t.f32(), key, -0.2, 0.2);
      }  // num_batches_tracked stays 0
      out.emplace(p.name, std::move(t));
    }
  }
  return out;
}

}  // namespace cnnzoo
