// Randomized check of the in-place rules: many small seeded graphs mixing views (flatten, reshape,
// inference dropout), ops that may write in place (ReLU, sigmoid, add, the channel product, a fused
// convolution sum, batch norm), values read by several nodes, and graph outputs taken from intermediate
// values. Every output of the engine must equal the reference interpreter's, on two runs of one plan.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "cnnzoo/builder.h"
#include "cnnzoo/init.h"
#include "engine_oracle.h"

namespace cnnzoo {
namespace {

constexpr int kGraphs = 300;
constexpr int kNodesPerGraph = 14;
// Every value holds 2 x 72 floats, in one of these shapes, so that any two can be joined by a view.
const Dims kImage{2, 4, 3, 3};
const std::vector<Dims> kShapes{kImage, {2, 36}, {2, 4, 9}};

class RandomGraph {
 public:
  explicit RandomGraph(uint32_t seed) : random_(seed), b_(fmt::format("random{}", seed), kImage) {
    values_.push_back(b_.input());
  }

  Graph build() {
    for (int i = 0; i < kNodesPerGraph; ++i) values_.push_back(add_node(fmt::format("n{}", i)));
    for (std::size_t i = 1; i + 1 < values_.size(); ++i) {
      if (chance(0.25)) b_.output(values_[i]);
    }
    b_.output(values_.back());
    return b_.finish();
  }

 private:
  bool chance(double p) { return std::bernoulli_distribution(p)(random_); }
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_); }

  // Mostly the last few values (chains of views and in-place ops), sometimes an old one (a second reader).
  ValueId pick() {
    const std::size_t n = values_.size();
    return chance(0.7) ? values_[n - 1 - below(std::min<std::size_t>(n, 3))] : values_[below(n)];
  }
  ValueId pick_image(const std::string& name) {
    const ValueId v = pick();
    return b_.shape(v) == kImage ? v : view(v, name + ".as_image", kImage);
  }
  ValueId view(ValueId v, const std::string& name, const Dims& shape) {
    if (chance(0.3)) v = b_.dropout(v, name + ".drop", 0.5);
    return b_.graph().add_node(name, OpKind::Reshape, attr::Reshape{shape}, {v});
  }

  ValueId add_node(const std::string& name) {
    switch (below(10)) {
      case 0:
        return view(pick(), name, kShapes[below(kShapes.size())]);
      case 1:
        return b_.flatten(pick(), name);
      case 2:
        return b_.dropout(pick(), name, 0.5);
      case 3:
        return b_.relu(pick(), name);
      case 4:
        return b_.sigmoid(pick(), name);
      case 5: {
        const ValueId x = pick();
        const ValueId y = pick();
        // A copy: view() adds values, and the graph's storage of shapes moves (ASan found the dangling one).
        const Dims x_shape = b_.shape(x);
        return b_.add({x, b_.shape(y) == x_shape ? y : view(y, name + ".other", x_shape)}, name);
      }
      case 6: {
        const ValueId x = pick_image(name);
        const ValueId gate = b_.sigmoid(b_.global_avg_pool(pick_image(name + ".g"), name + ".squeeze"), name + ".gate");
        return b_.channel_mul(x, gate, name);
      }
      case 7:
        return b_.batch_norm(pick_image(name), name);
      case 8:  // a residual add after it may become the convolution's fused sum
        return b_.conv(pick_image(name), name, {.out = 4, .kernel = 3, .pad = 1});
      default:
        return b_.max_pool(pick_image(name), name, {.kernel = 3, .stride = 1, .pad = 1});
    }
  }

  std::mt19937 random_;
  Builder b_;
  std::vector<ValueId> values_;
};

TEST(ViewsRandom, EngineMatchesReferenceOnEveryOutput) {
  int wrong = 0, outputs = 0;
  std::string first;
  for (uint32_t seed = 1; seed <= kGraphs; ++seed) {
    const Graph g = RandomGraph(seed).build();
    outputs += static_cast<int>(g.outputs().size());
    const Parameters p = test_parameters(g, seed);
    const std::string why = testing_oracle::engine_vs_reference(g, p, test_uniform("input", kImage, seed, -1, 1));
    if (why.empty()) continue;
    if (wrong++ == 0) first = fmt::format("graph seed {}: {}", seed, why);
  }
  EXPECT_EQ(wrong, 0) << "of " << kGraphs << " graphs; the first: " << first;
  EXPECT_GT(outputs, 2 * kGraphs);  // intermediate values are returned, not only the last
}

}  // namespace
}  // namespace cnnzoo
