// A loop over the registry: every ParamSpec of every model gets a tensor of its shape and dtype from
// both the model's own scheme and the parity-test fill. Models above kLoopLimit parameters are left to
// one big representative (vgg19, 143.7M), which keeps the loop to a few seconds.
#include <gtest/gtest.h>

#include "cnnzoo/init.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

constexpr int64_t kLoopLimit = 30'000'000;

int64_t parameter_count(const Graph& g) {
  int64_t total = 0;
  for (const Node& n : g.nodes()) {
    for (const ParamSpec& p : n.params) total += numel(p.shape);
  }
  return total;
}

void expect_complete(const Graph& g, const Parameters& params, std::string_view what) {
  std::size_t specs = 0;
  for (const Node& n : g.nodes()) {
    for (const ParamSpec& p : n.params) {
      ++specs;
      const auto it = params.find(p.name);
      ASSERT_NE(it, params.end()) << g.name() << " " << what << ": no " << p.name;
      EXPECT_EQ(it->second.shape(), p.shape) << g.name() << " " << what << ": " << p.name;
      EXPECT_EQ(it->second.dtype(), p.dtype) << g.name() << " " << what << ": " << p.name;
    }
  }
  EXPECT_EQ(params.size(), specs) << g.name() << " " << what;
}

void expect_initialises(const Graph& g) {
  expect_complete(g, init_parameters(g, init_scheme_for(g.name()), 1), init_scheme_for(g.name()));
  expect_complete(g, test_parameters(g, 1), "test_parameters");
}

TEST(ZooInit, EveryModelUpToTheLimitGetsEveryParameter) {
  int covered = 0;
  for (const ModelInfo& m : list_models()) {
    const Graph g = build_model(m.name);
    if (parameter_count(g) > kLoopLimit) continue;
    expect_initialises(g);
    ++covered;
  }
  EXPECT_GE(covered, 30);  // 32 of the 56 registered models today
}

TEST(ZooInit, TheBiggestVggGetsEveryParameter) {
  const Graph g = build_model("vgg19");
  ASSERT_GT(parameter_count(g), kLoopLimit);
  expect_initialises(g);
}

}  // namespace
}  // namespace cnnzoo
