// The oneDNN engine against the reference interpreter on the same weights: every op, the fusions and
// the fallbacks, on zoo models at small inputs; plus the engine's errors and its memory plan.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 11;

// Largest |a - b| relative to the range of b.
double relative_error(const Tensor& a, const Tensor& b) {
  const auto x = a.f32();
  const auto y = b.f32();
  double worst = 0, lo = y[0], hi = y[0];
  for (std::size_t i = 0; i < y.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(x[i]) - y[i]));
    lo = std::min<double>(lo, y[i]);
    hi = std::max<double>(hi, y[i]);
  }
  return worst / std::max(hi - lo, 1e-12);
}

struct Case {
  std::string model;
  Dims input;  // C, H, W
  std::string covers;
  int64_t batch = 2;
};

class EngineVsReference : public ::testing::TestWithParam<Case> {};

TEST_P(EngineVsReference, OutputsAgree) {
  const Case& c = GetParam();
  const Graph g = build_model(c.model, {.batch = c.batch, .input = c.input});
  const Parameters p = test_parameters(g, kSeed);
  const Tensor x = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  InferenceEngine engine(g, p);
  const auto ours = engine.run(x);
  const auto expected = run_reference(g, p, x);
  ASSERT_EQ(ours.size(), expected.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    ASSERT_EQ(ours[i].shape(), expected[i].shape());
    EXPECT_LT(relative_error(ours[i], expected[i]), 1e-4) << c.covers;
  }
  // A second run on the same plan gives the same answer: nothing is left over from the first.
  const auto again = engine.run(x);
  EXPECT_EQ(relative_error(again[0], ours[0]), 0.0);
}

INSTANTIATE_TEST_SUITE_P(
    Zoo, EngineVsReference,
    ::testing::Values(Case{"resnet20", {3, 32, 32}, "option-A shortcut: 1x1/2 pool, channel pad; sum fusion"},
                      Case{"resnet50", {3, 64, 64}, "bottlenecks, projection shortcuts, BN folding"},
                      Case{"se_resnet18", {3, 64, 64}, "SE: global pool, sigmoid, channel mul"},
                      Case{"preact_resnet18", {3, 64, 64}, "BN + ReLU before convolutions"},
                      Case{"googlenet", {3, 96, 96}, "inception concat, ceil-mode pools"},
                      Case{"googlenet_paper", {3, 224, 224}, "LRN, biases, fixed 7x7 avgpool", 1},
                      Case{"densenet121", {3, 64, 64}, "dense concat, transitions, avgpool"},
                      Case{"alexnet_paper", {3, 127, 127}, "grouped convolutions, LRN, dropout"},
                      Case{"vgg11_bn", {3, 64, 64}, "adaptive pool 2 -> 7 (overlapping windows)"},
                      Case{"resnext50_32x4d", {3, 64, 64}, "grouped bottlenecks"},
                      Case{"inception_v4", {3, 75, 75}, "1x7/7x1 kernels, average pools without their padding"},
                      Case{"inception_resnet_v2", {3, 75, 75}, "scaled residual sums, last block without ReLU"}),
    [](const auto& info) { return info.param.model; });

TEST(Engine, FusesWhatResNetAllows) {
  const Graph g = build_model("resnet18");
  InferenceEngine engine(g, test_parameters(g, kSeed));
  const PlanStats& s = engine.stats();
  EXPECT_EQ(s.fused_batch_norms, 20);  // every BN follows a convolution
  EXPECT_EQ(s.fused_sums, 8);          // one residual sum per block
  EXPECT_EQ(s.fused_relus, 17);        // stem, first conv of each block, and after each sum
  EXPECT_LT(s.arena_bytes, s.unplanned_bytes / 2);
}

TEST(Engine, ReleasingTheParametersGivesTheSameOutputs) {
  // resnet18: batch norm folded into convolutions reads a later node's parameters; releasing each node's
  // parameters after it is lowered must not lose them.
  const Graph g = build_model("resnet18", {.input = Dims{3, 64, 64}});
  const Parameters p = test_parameters(g, 11);
  const Tensor x = test_uniform("input", {1, 3, 64, 64}, 11, -1, 1);
  Parameters consumed = p;
  const Tensor want = InferenceEngine(g, p).run(x).at(0);
  // Released as they are used, since they can be had again (a run that is not finite would need them).
  InferenceEngine engine(g, std::move(consumed), {.reload_parameters = [&p] { return p; }});
  EXPECT_TRUE(consumed.empty());  // NOLINT: moved-from on purpose, the engine empties it
  const Tensor got = engine.run(x).at(0);
  EXPECT_TRUE(std::equal(got.f32().begin(), got.f32().end(), want.f32().begin()));
}

TEST(Engine, SoftmaxAveragePoolCeilModeAndDropout) {
  Builder b("custom", {2, 4, 9, 9});
  ValueId x = b.conv(b.input(), "conv", {.out = 6, .kernel = 3, .pad = 1});
  x = b.avg_pool(x, "pool", {.kernel = 2, .stride = 2, .pad = 1, .ceil_mode = true});  // clipped windows
  x = b.avg_pool(x, "pool2", {.kernel = 3, .stride = 2, .pad = 1, .count_include_pad = false});
  x = b.dropout(b.flatten(x, "flatten"), "dropout", 0.5);
  b.output(b.softmax(b.linear(x, "fc", {.out = 5}), "softmax"));
  const Graph g = b.finish();
  const Parameters p = test_parameters(g, kSeed);
  const Tensor input = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  InferenceEngine engine(g, p);
  EXPECT_LT(relative_error(engine.run(input)[0], run_reference(g, p, input)[0]), 1e-5);
}

TEST(Engine, WrongInputShapeNamesBothShapes) {
  const Graph g = build_model("resnet20");
  InferenceEngine engine(g, test_parameters(g, kSeed));
  try {
    engine.run(Tensor({1, 1, 32, 32}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "input: expected float32 1x3x32x32, got float32 1x1x32x32");
  }
}

TEST(Engine, MissingAndMisshapedParametersAreNamed) {
  const Graph g = build_model("resnet20");
  Parameters p = test_parameters(g, kSeed);
  p.erase("fc.bias");
  p["conv1.weight"] = Tensor({16, 3, 1, 1});
  try {
    InferenceEngine engine(g, p);
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "resnet20: parameters do not fit: 1 missing (fc.bias); 1 mismatched (conv1.weight: expected "
                 "16x3x3x3, got 16x3x1x1)");
  }
}

}  // namespace
}  // namespace cnnzoo
