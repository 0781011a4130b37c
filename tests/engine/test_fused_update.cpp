// A training engine that updates each parameter inside its backward pass (TrainingOptions::fused_update)
// against the same steps with the gradients kept and Optimizer::step after them: the same weights, the
// same running statistics and optimizer state, bit for bit, for SGD with momentum and for Adam.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"
#include "cnnzoo/optim.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 5;

struct Trained {
  Parameters parameters;
  Parameters optimizer_state;
  std::vector<double> losses;
};

Trained train(const Graph& g, const OptimizerOptions& o, bool fused, int steps) {
  Trained r{.parameters = test_parameters(g, kSeed), .optimizer_state = {}, .losses = {}};
  const auto optimizer = make_optimizer(o, g);
  TrainingEngine engine(g, r.parameters, {.threads = 2, .fused_update = fused});
  const int64_t batch = g.shape(g.inputs()[0])[0];
  for (int s = 0; s < steps; ++s) {
    const Tensor x = test_uniform(fmt::format("input{}", s), g.shape(g.inputs()[0]), kSeed, -1, 1);
    std::vector<int64_t> labels;
    for (int64_t i = 0; i < batch; ++i) labels.push_back((3 * i + s) % 10);
    const double lr = 0.05 / (s + 1);
    if (fused) {
      r.losses.push_back(engine.step(x, labels, *optimizer, lr));
      EXPECT_TRUE(engine.gradients().empty());
    } else {
      r.losses.push_back(engine.step(x, labels));
      optimizer->step(r.parameters, engine.gradients(), lr);
    }
  }
  r.optimizer_state = optimizer->state();
  return r;
}

void expect_identical(const Parameters& a, const Parameters& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    const Tensor& u = b.at(name);
    ASSERT_EQ(t.nbytes(), u.nbytes()) << name;
    EXPECT_EQ(std::memcmp(t.bytes(), u.bytes(), static_cast<std::size_t>(t.nbytes())), 0) << name;
  }
}

TEST(FusedUpdate, EqualsSeparateOptimizerStepsBitForBit) {
  // resnet20: batch norms with fused ReLUs, recomputed outputs, in-place sums, zero-padding shortcuts.
  const Graph g = build_model("resnet20", {.batch = 4, .input = Dims{3, 16, 16}});
  for (const OptimizerOptions& o : {OptimizerOptions{.kind = "sgd", .momentum = 0.9, .weight_decay = 1e-4},
                                    OptimizerOptions{.kind = "adam", .weight_decay = 0, .decay_bn_and_bias = false}}) {
    SCOPED_TRACE(o.kind);
    const Trained separate = train(g, o, false, 3);
    const Trained fused = train(g, o, true, 3);
    EXPECT_EQ(fused.losses, separate.losses);
    EXPECT_NE(fused.losses[0], fused.losses[2]);  // the weights did change
    expect_identical(fused.parameters, separate.parameters);
    expect_identical(fused.optimizer_state, separate.optimizer_state);
  }
}

TEST(FusedUpdate, ParametersWithoutAGradientGetTheUpdateOfAZeroGradient) {
  // "dead" reads the input but reaches no output: no gradient flows to it, yet weight decay and
  // momentum still apply to it, as they do when Optimizer::step sees its (zero) gradient tensor.
  Builder b("dead_branch", {2, 3, 8, 8});
  const ValueId live = b.conv(b.input(), "live", {.out = 4, .kernel = 3, .pad = 1});
  b.conv(b.input(), "dead", {.out = 2, .kernel = 1});
  b.output(b.linear(b.flatten(b.global_avg_pool(b.relu(live, "relu"), "pool"), "flat"), "fc", {.out = 10}));
  const Graph g = b.finish();
  const OptimizerOptions o{.kind = "sgd", .momentum = 0.9, .weight_decay = 0.1};
  const Trained separate = train(g, o, false, 2);
  const Trained fused = train(g, o, true, 2);
  expect_identical(fused.parameters, separate.parameters);
  const Parameters initial = test_parameters(g, kSeed);
  EXPECT_NE(fused.parameters.at("dead.weight").f32()[0], initial.at("dead.weight").f32()[0]);
}

TEST(FusedUpdate, WrongCallsAndBatchesAreRefusedBeforeAnyUpdate) {
  const Graph g = build_model("resnet20", {.batch = 2, .input = Dims{3, 8, 8}});
  Parameters p = test_parameters(g, kSeed);
  const auto optimizer = make_optimizer({.kind = "sgd"}, g);
  const Tensor x = test_uniform("x", g.shape(g.inputs()[0]), kSeed, -1, 1);
  const std::vector<int64_t> labels{1, 2};
  TrainingEngine separate(g, p, {.threads = 1});
  EXPECT_THROW(separate.step(x, labels, *optimizer, 0.1), Error);
  TrainingEngine fused(g, p, {.threads = 1, .fused_update = true});
  EXPECT_THROW(fused.step(x, labels), Error);
  EXPECT_THROW(fused.step(x, std::vector<int64_t>{1}, *optimizer, 0.1), ShapeError);
  EXPECT_EQ(optimizer->steps(), 0);
  EXPECT_THROW(fused.step(x, labels, *optimizer, -1.0), InvalidArgument);
  EXPECT_EQ(optimizer->steps(), 0);
}

}  // namespace
}  // namespace cnnzoo
