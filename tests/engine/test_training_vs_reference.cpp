// The training engine against the float64 reference step on the same weights and batch: loss, the
// gradient of every parameter, batch norm's running statistics, and the logits.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 21;

// Largest |a - b| relative to the largest |b|.
double relative_error(std::span<const float> a, std::span<const float> b) {
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return worst / std::max(scale, 1e-30);
}

// Squared L2 distance and squared norm of b.
std::pair<double, double> l2(std::span<const float> a, std::span<const float> b) {
  double d = 0, s = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    d += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    s += static_cast<double>(b[i]) * b[i];
  }
  return {d, s};
}

// How close a float32 step can be to the float64 answer depends on the network's conditioning: batch
// statistics over few elements and deep chains amplify rounding. PyTorch's own float32 step, measured
// against its float64 step on the same weights (scripts/pytorch_parity.py reports it), is off by 2.4e-3
// (densenet121 at 64x64, batch 2) and 9.2e-3 (resnet50) in relative L2 over all gradients; shallow
// networks agree to about 1e-6. Each case states the bound it is held to.
struct Tolerance {
  double per_tensor;      ///< relative L2 error of each parameter's gradient
  double overall;         ///< relative L2 error of all gradients together
  double loss = 1e-5;     ///< relative (to the loss, or 1 if it is smaller)
  double outputs = 1e-4;  ///< largest error relative to the largest logit
  double buffers = 1e-4;  ///< batch norm's running statistics, likewise
};

std::vector<int64_t> labels_for(int64_t batch, int64_t classes) {
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < batch; ++i) labels.push_back((7 * i + 3) % classes);
  return labels;
}

// One step of each, then every figure compared.
void expect_step_matches(const Graph& g, const TrainingOptions& options, Tolerance tolerance) {
  Parameters engine_params = test_parameters(g, kSeed);
  const Parameters reference_params = engine_params;
  const Tensor x = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  const auto labels = labels_for(g.shape(g.inputs()[0])[0], g.shape(g.outputs()[0])[1]);

  TrainingEngine engine(g, engine_params, options);
  const double loss = engine.step(x, labels);
  const ReferenceStep expected = reference_training_step(g, reference_params, x, labels, options);

  EXPECT_NEAR(loss, expected.loss, tolerance.loss * std::max(1.0, expected.loss));
  EXPECT_LT(relative_error(engine.outputs()[0].f32(), expected.outputs[0].f32()), tolerance.outputs);
  ASSERT_EQ(engine.gradients().size(), expected.gradients.size());
  double distance = 0, norm = 0;
  for (const auto& [name, grad] : expected.gradients) {
    const auto [d, s] = l2(engine.gradients().at(name).f32(), grad.f32());
    distance += d;
    norm += s;
  }
  EXPECT_LT(std::sqrt(distance / norm), tolerance.overall);
  // A gradient that is zero in exact arithmetic (a convolution's bias before batch norm) is held to
  // the overall scale instead of its own.
  double worst = 0;
  std::string worst_name;
  for (const auto& [name, grad] : expected.gradients) {
    const auto [d, s] = l2(engine.gradients().at(name).f32(), grad.f32());
    const double e = std::sqrt(d) / std::max(std::sqrt(s), 1e-3 * std::sqrt(norm));
    if (e > worst) {
      worst = e;
      worst_name = name;
    }
  }
  EXPECT_LT(worst, tolerance.per_tensor) << "worst gradient: " << worst_name;
  for (const auto& [name, buffer] : expected.buffers) {
    if (name.ends_with("num_batches_tracked")) continue;
    EXPECT_LT(relative_error(engine_params.at(name).f32(), buffer.f32()), tolerance.buffers) << name;
  }
  for (const auto& [name, t] : engine_params) {
    if (name.ends_with("num_batches_tracked")) {
      EXPECT_EQ(t.i64()[0], 1) << name;
    }
  }
}

struct Case {
  std::string model;
  Dims input;
  int64_t batch;
  std::string covers;
  Tolerance tolerance{1e-3, 1e-4};
};

class TrainingVsReference : public ::testing::TestWithParam<Case> {};

TEST_P(TrainingVsReference, OneStepAgrees) {
  const Case& c = GetParam();
  SCOPED_TRACE(c.covers);
  expect_step_matches(build_model(c.model, {.batch = c.batch, .input = c.input}), {.seed = 4}, c.tolerance);
}

INSTANTIATE_TEST_SUITE_P(
    Zoo, TrainingVsReference,
    ::testing::Values(
        Case{"resnet20", {3, 32, 32}, 4, "option-A shortcuts, BN batch statistics, residual sums"},
        Case{"resnet18", {3, 64, 64}, 2, "max pool, projection shortcuts"},
        Case{"se_resnet18", {3, 64, 64}, 2, "SE gate: global pool, sigmoid, channel product"},
        Case{"densenet121", {3, 64, 64}, 2, "dense concatenation, average pools", {0.05, 5e-3}},
        Case{"resnet50", {3, 64, 64}, 2, "bottlenecks", {0.05, 0.03}},
        Case{"googlenet", {3, 96, 96}, 2, "inception concat, ceil-mode pools, dropout", {0.05, 0.03}},
        Case{"alexnet_paper", {3, 99, 99}, 2, "LRN, grouped convolutions, dropout"},
        // The Inceptions' 8x8 stage is 3x3 here and its batch norms see 18 values a channel; more
        // pixels cost more than the test may take. Inception-ResNet-v2 has every op of Inception-v4
        // (1x7/7x1 kernels, average pools without their padding) and meets the usual bounds.
        Case{"inception_resnet_v2", {3, 139, 139}, 2, "scaled residual sums, pools without padding", {0.05, 0.03}},
        // Inception-v4 at 107x107 (2x2 maps at the end) is ill-conditioned in training: PyTorch's own
        // float32 step on scripts/inception_paper_models.py, against its float64 step on these test
        // weights, is off by 9.1e-5 in the loss, 0.094 overall and 0.12 in the worst gradient (ours:
        // 1.6e-4, 0.17, 0.24). Held to about 4 times PyTorch's error, as the parity tests are.
        Case{"inception_v4",
             {3, 107, 107},
             2,
             "1x7/7x1 kernels, deep concatenations",
             {.per_tensor = 0.5, .overall = 0.4, .loss = 4e-4, .outputs = 1e-2, .buffers = 1e-3}}),
    [](const auto& info) { return info.param.model; });

TEST(Training, AuxiliaryLossesAndLabelSmoothing) {
  const Graph g = build_model("googlenet", {.batch = 2, .input = Dims{3, 128, 128}, .aux_logits = true});
  expect_step_matches(g, {.label_smoothing = 0.1, .aux_loss_weight = 0.3, .dropout = false}, {0.05, 0.03});
}

TEST(Training, SoftmaxNodeAndFallbackPools) {
  Builder b("custom", {3, 4, 9, 9});
  ValueId x = b.conv(b.input(), "conv", {.out = 6, .kernel = 3, .pad = 1});
  x = b.avg_pool(x, "pool", {.kernel = 2, .stride = 2, .pad = 1, .ceil_mode = true});
  x = b.adaptive_avg_pool(x, "adaptive", 3);
  x = b.flatten(x, "flatten");
  b.output(b.softmax(b.linear(x, "fc", {.out = 5}), "softmax"));
  expect_step_matches(b.finish(), {}, {1e-4, 1e-5});
}

TEST(Training, DropoutMasksFollowSeedAndStep) {
  const Graph g = build_model("alexnet", {.batch = 2, .input = Dims{3, 67, 67}});
  Parameters p1 = test_parameters(g, kSeed), p2 = p1, p3 = p1;
  const Tensor x = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  const std::vector<int64_t> labels{1, 2};
  TrainingEngine a(g, p1, {.seed = 1}), b(g, p2, {.seed = 1}), c(g, p3, {.seed = 2});
  const double la = a.step(x, labels);
  EXPECT_EQ(la, b.step(x, labels));
  EXPECT_NE(la, c.step(x, labels));
  EXPECT_NE(la, a.step(x, labels));  // the second step draws new masks
}

}  // namespace
}  // namespace cnnzoo
