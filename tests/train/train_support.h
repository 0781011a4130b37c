// Helpers of the training tests: a tiny graph with every kind of trainable parameter, and exact
// comparison of tensor sets.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "cnnzoo/builder.h"
#include "cnnzoo/init.h"
#include "cnnzoo/parameters.h"

namespace cnnzoo::test {

/// conv (2 -> 4 channels, 1x1, no bias), batch norm, flatten, linear (4 -> 3): the graph of
/// scripts/make_optim_fixtures.py. Trainable: conv.weight, bn.weight, bn.bias, fc.weight, fc.bias.
inline Graph tiny_graph() {
  Builder b("tiny", {1, 2, 1, 1});
  auto x = b.conv(b.input(), "conv", {.out = 4, .kernel = 1, .bias = false});
  x = b.batch_norm(x, "bn");
  x = b.flatten(x, "flatten");
  x = b.linear(x, "fc", {.out = 3});
  b.output(x);
  return b.finish();
}

/// Gradients for every trainable parameter of `graph`, U(-1, 1) from the streams of (name, seed).
inline Parameters test_gradients(const Graph& graph, uint64_t seed) {
  Parameters grads;
  for (const Node& node : graph.nodes())
    for (const ParamSpec& p : node.params)
      if (p.kind == ParamKind::Trainable) grads.emplace(p.name, test_uniform(p.name, p.shape, seed, -1, 1));
  return grads;
}

/// Same names, shapes, dtypes and bytes.
inline void expect_identical(const Parameters& a, const Parameters& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    const auto it = b.find(name);
    ASSERT_NE(it, b.end()) << name;
    ASSERT_EQ(t.shape(), it->second.shape()) << name;
    ASSERT_EQ(t.dtype(), it->second.dtype()) << name;
    EXPECT_EQ(std::memcmp(t.bytes(), it->second.bytes(), static_cast<std::size_t>(t.nbytes())), 0) << name;
  }
}

}  // namespace cnnzoo::test
