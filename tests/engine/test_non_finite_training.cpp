// A training step follows NaN as PyTorch does (issue 12): its loss is NaN when a NaN enters the forward
// pass or is made there, even where oneDNN's ReLU or max pooling (max(x, 0)) would drop it before the loss,
// and a dropped NaN stays NaN through dropout (x * mask / (1 - p), a product). The float64 reference step,
// whose kernels follow PyTorch's formulas, agrees; a fused update leaves the weights as they were.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/optim.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 5;
const std::vector<int64_t> kLabels{1, 3};

// conv -> ReLU -> max pooling -> linear: every NaN that reaches the loss passed a max(x, 0) first.
Graph relu_pool_net() {
  Builder b("relu_pool", {2, 2, 4, 4});
  const ValueId x = b.relu(b.conv(b.input(), "conv", {.out = 4, .kernel = 1, .bias = false}), "relu");
  b.output(b.linear(b.flatten(b.max_pool(x, "pool", {.kernel = 2, .stride = 2}), "flat"), "fc", {.out = 5}));
  return b.finish();
}

TEST(NonFiniteTraining, ANaNInputGivesANaNLossThoughReluAndMaxPoolingStandBeforeTheLoss) {
  const Graph g = relu_pool_net();
  Parameters p = test_parameters(g, kSeed);
  Tensor x = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  x.f32()[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(reference_training_step(g, p, x, kLabels, {}).loss));
  TrainingEngine engine(g, p);
  EXPECT_TRUE(std::isnan(engine.step(x, kLabels)));
  // The next finite batch is a normal step again.
  const Tensor finite = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  const double loss = engine.step(finite, kLabels);
  EXPECT_NEAR(loss, reference_training_step(g, p, finite, kLabels, {}).loss, 1e-5);
}

// Finite data, overflow inside: conv_a sends a pixel of 3e38 to +inf and -inf, conv_b adds them (NaN), the
// ReLU after it would make that 0. PyTorch's loss in float32 is NaN (torch 1.13: F.conv2d twice, F.relu,
// F.linear, F.cross_entropy on these numbers); so is ours, and the fused update skips the step. (The float64
// reference step does not overflow here, so it is no oracle for this case.)
TEST(NonFiniteTraining, ANaNMadeInsideGivesANaNLossAndTheFusedUpdateKeepsTheWeights) {
  Builder b("overflow", {2, 2, 2, 2});
  const ValueId a = b.conv(b.input(), "conv_a", {.out = 2, .kernel = 1, .bias = false});
  const ValueId r = b.relu(b.conv(a, "conv_b", {.out = 1, .kernel = 1, .bias = false}), "relu");
  b.output(b.linear(b.flatten(r, "flat"), "fc", {.out = 5}));
  const Graph g = b.finish();
  Parameters p = test_parameters(g, kSeed);
  const std::vector<float> conv_a{10, 10, -10, -10};
  std::copy(conv_a.begin(), conv_a.end(), p.at("conv_a.weight").f32().begin());
  std::fill(p.at("conv_b.weight").f32().begin(), p.at("conv_b.weight").f32().end(), 1.0f);
  Tensor x = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  x.f32()[0] = 3e38f;  // sample 0, pixel 0 of both channels
  x.f32()[4] = 3e38f;

  const Parameters before = p;
  TrainingEngine engine(g, p, {.fused_update = true});
  const auto sgd = make_optimizer({.kind = "sgd"}, g);
  EXPECT_TRUE(std::isnan(engine.step(x, kLabels, *sgd, 0.1)));
  for (const auto& [name, tensor] : before) {
    EXPECT_TRUE(std::equal(tensor.f32().begin(), tensor.f32().end(), p.at(name).f32().begin())) << name;
  }
}

// Dropout with p = 0.999 drops (nearly) every element: with a NaN in each sample, PyTorch's x * mask gives
// NaN where a select would give 0. (A quiet NaN times 0 is no invalid operation: the logits are NaN through
// the product itself, not through the engine's watch.)
TEST(NonFiniteTraining, DropoutCarriesADroppedNaN) {
  Builder b("dropout", {2, 8});
  b.output(b.linear(b.dropout(b.input(), "drop", 0.999), "fc", {.out = 5}));
  const Graph g = b.finish();
  Parameters p = test_parameters(g, kSeed);
  Tensor x = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  x.f32()[2] = std::numeric_limits<float>::quiet_NaN();
  x.f32()[8 + 6] = std::numeric_limits<float>::quiet_NaN();
  const ReferenceStep expected = reference_training_step(g, p, x, kLabels, {.seed = kSeed});
  EXPECT_TRUE(std::isnan(expected.loss));
  TrainingEngine engine(g, p, {.seed = kSeed});
  EXPECT_TRUE(std::isnan(engine.step(x, kLabels)));
  const Tensor logits = engine.outputs().at(0);
  for (float v : logits.f32()) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
}  // namespace cnnzoo
