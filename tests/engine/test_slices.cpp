// Running a batch in slices (EngineOptions::slice): the same outputs as the whole batch at once, for
// models whose samples are independent; refused where they are not or where the slice does not fit.
#include <gtest/gtest.h>

#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 9;

// Largest |a - b| over the largest |b|.
double relative_difference(const Tensor& a, const Tensor& b) {
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < b.f32().size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(a.f32()[i] - b.f32()[i])));
    scale = std::max(scale, static_cast<double>(std::abs(b.f32()[i])));
  }
  return worst / scale;
}

TEST(Slices, GiveTheOutputsOfTheWholeBatch) {
  // googlenet: concat along channels, ceil-mode pools, dropout; resnet18: fused sums; 8 samples.
  for (const char* name : {"resnet18", "googlenet"}) {
    SCOPED_TRACE(name);
    const Graph g = build_model(name, {.batch = 8, .input = Dims{3, 64, 64}});
    const Parameters p = test_parameters(g, kSeed);
    const Tensor x = test_uniform("x", g.shape(g.inputs()[0]), kSeed, -1, 1);
    const Tensor whole = InferenceEngine(g, p, {.threads = 2, .slice = 8}).run(x).at(0);
    for (int64_t slice : {1, 2, 4}) {
      InferenceEngine engine(g, p, {.threads = 2, .slice = slice});
      EXPECT_EQ(engine.stats().slice, slice);
      const Tensor sliced = engine.run(x).at(0);
      ASSERT_EQ(sliced.shape(), (Dims{8, 1000}));
      EXPECT_LT(relative_difference(sliced, whole), 1e-5) << "slice " << slice;
      // Each sample's logits are its own: sample 5 alone gives them too.
      const Tensor sample5(Dims{1, 3, 64, 64}, x.f32().subspan(5 * 3 * 64 * 64, 3 * 64 * 64));
      const Tensor one = InferenceEngine(with_batch(g, 1), p, {.threads = 2}).run(sample5).at(0);
      for (int64_t k = 0; k < 1000; ++k) EXPECT_NEAR(sliced.f32()[5 * 1000 + k], one.f32()[k], 1e-4) << k;
    }
  }
}

TEST(Slices, TimedOnlyForMultiplesOfFourInNetworksOfPointwiseConvolutions) {
  // ResNet-50: half its multiply-adds in 1x1 convolutions; timed both ways, either may win.
  const Graph g = build_model("resnet50", {.batch = 8, .input = Dims{3, 32, 32}});
  const Parameters p = test_parameters(g, kSeed);
  const int64_t chosen = InferenceEngine(g, p, {.threads = 2}).stats().slice;
  EXPECT_TRUE(chosen == 4 || chosen == 8) << chosen;
  EXPECT_EQ(InferenceEngine(with_batch(g, 6), p, {.threads = 2}).stats().slice, 6);  // not a multiple of 4
  EXPECT_EQ(InferenceEngine(with_batch(g, 4), p, {.threads = 2}).stats().slice, 4);
  // ResNet-20: 3x3 convolutions only, run whole.
  const Graph cifar = build_model("resnet20", {.batch = 8, .input = Dims{3, 16, 16}});
  EXPECT_EQ(InferenceEngine(cifar, test_parameters(cifar, kSeed), {.threads = 2}).stats().slice, 8);
}

TEST(Slices, ReleasedParametersAreGoneWhicheverWayWins) {
  const Graph g = build_model("resnet50", {.batch = 8, .input = Dims{3, 32, 32}});
  Parameters p = test_parameters(g, kSeed);
  const Tensor x = test_uniform("x", g.shape(g.inputs()[0]), kSeed, -1, 1);
  const Tensor want = InferenceEngine(g, p, {.threads = 2, .slice = 8}).run(x).at(0);
  // Released as they are used, since they can be had again (a run that is not finite would need them).
  InferenceEngine engine(g, std::move(p),
                         {.threads = 2, .reload_parameters = [&g] { return test_parameters(g, kSeed); }});
  EXPECT_TRUE(p.empty());  // NOLINT(bugprone-use-after-move): the engine empties what it was given
  EXPECT_LT(relative_difference(engine.run(x).at(0), want), 1e-5);
}

TEST(Slices, RefusedWhereTheyCannotWork) {
  const Graph g = build_model("resnet20", {.batch = 8, .input = Dims{3, 16, 16}});
  const Parameters p = test_parameters(g, kSeed);
  EXPECT_THROW(InferenceEngine(g, p, {.slice = 3}), InvalidArgument);
  EXPECT_THROW(InferenceEngine(g, p, {.slice = -2}), InvalidArgument);
  // A softmax over the batch axis mixes the samples.
  Builder b("batch_softmax", {4, 3});
  b.output(b.softmax(b.input(), "softmax", 0));
  const Graph mixed = b.finish();
  EXPECT_FALSE(samples_independent(mixed));
  EXPECT_TRUE(samples_independent(g));
  EXPECT_THROW(InferenceEngine(mixed, {}, {.slice = 2}), InvalidArgument);
  EXPECT_EQ(InferenceEngine(mixed, {}, {}).stats().slice, 4);  // whole: the choice needs independent samples
}

TEST(Slices, WithBatchKeepsNamesParametersAndShapes) {
  const Graph g = build_model("resnet18", {.batch = 2});
  const Graph g5 = with_batch(g, 5);
  ASSERT_EQ(g5.nodes().size(), g.nodes().size());
  for (std::size_t i = 0; i < g.nodes().size(); ++i) {
    EXPECT_EQ(g5.nodes()[i].name, g.nodes()[i].name);
    ASSERT_EQ(g5.nodes()[i].params.size(), g.nodes()[i].params.size());
    for (std::size_t k = 0; k < g.nodes()[i].params.size(); ++k) {
      EXPECT_EQ(g5.nodes()[i].params[k].name, g.nodes()[i].params[k].name);
      EXPECT_EQ(g5.nodes()[i].params[k].shape, g.nodes()[i].params[k].shape);
    }
    Dims expected = g.shape(g.nodes()[i].output);
    expected[0] = 5;
    EXPECT_EQ(g5.shape(g5.nodes()[i].output), expected);
  }
  verify(g5);
}

}  // namespace
}  // namespace cnnzoo
