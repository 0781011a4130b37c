// Concatenation along an axis (channels for Inception and DenseNet). Copies, computes nothing.
#include <fmt/format.h>

#include "ops/rules.h"

namespace cnnzoo::ops {

using ConcatRule = Rule<OpKind::Concat>;

Dims ConcatRule::shape(const OpContext& c) {
  expect_inputs(c, name, 1, 0, /*at_least=*/true);
  const auto& a = std::get<Attr>(c.attrs);
  Dims out = c.in[0];
  const auto axis = static_cast<std::size_t>(a.axis);
  if (a.axis < 0 || axis >= out.size()) {
    fail(c, name, fmt::format("axis {} is outside the input's {} dimensions", a.axis, out.size()));
  }
  for (std::size_t i = 1; i < c.in.size(); ++i) {
    const Dims& d = c.in[i];
    bool fits = d.size() == out.size();
    for (std::size_t k = 0; fits && k < d.size(); ++k) fits = k == axis || d[k] == out[k];
    if (!fits) {
      fail(c, name,
           fmt::format("input {} has shape {}, which does not match input 0's {} outside axis {}", i, to_string(d),
                       to_string(c.in[0]), a.axis));
    }
    out[axis] = checked_add(out[axis], d[axis], "the concatenated dimension");
  }
  return out;
}
std::vector<ParamShape> ConcatRule::params(const OpContext& c) { return no_params(c); }
Cost ConcatRule::cost(const OpContext&, const Dims&) { return {0, 0}; }

}  // namespace cnnzoo::ops
