// The in-place rules of a training step next to views: a ReLU may work in place over a dropout's own
// output (a copy in training) but never over a flatten, a view of a value that another node reads.
// One step of the engine against the float64 reference step: loss, logits and every gradient.
#include <gtest/gtest.h>

#include <cmath>

#include "cnnzoo/buffer_sharing.h"
#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/training_storage.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 9;

// Largest |a - b| relative to the largest |b|.
double relative_error(std::span<const float> a, std::span<const float> b) {
  double worst = 0, scale = 1e-30;
  for (std::size_t i = 0; i < b.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return worst / scale;
}

TEST(ViewsTraining, InPlaceReluNextToViewsMatchesTheReferenceStep) {
  Builder b("views_training", {2, 3, 4, 4});
  const ValueId x = b.conv(b.input(), "conv", {.out = 8, .kernel = 3, .pad = 1});
  const ValueId dropped = b.relu(b.dropout(x, "drop", 0.5), "relu_drop");  // over the mask's copy
  const ValueId viewed = b.relu(b.flatten(x, "flat_x"), "relu_view");      // never over x's buffer
  const ValueId logits = b.add(
      {b.linear(b.flatten(dropped, "flat_d"), "fc_d", {.out = 5}), b.linear(viewed, "fc_v", {.out = 5})}, "logits");
  b.output(logits);
  const Graph g = b.finish();
  EXPECT_EQ(training_output(g, *g.find_node("relu_drop")), TrainingOutput::InPlace);
  EXPECT_EQ(training_output(g, *g.find_node("relu_view")), TrainingOutput::Own);

  Parameters params = test_parameters(g, kSeed);
  const Parameters reference_params = params;
  const Tensor input = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  const std::vector<int64_t> labels{1, 3};
  TrainingEngine engine(g, params, {.seed = kSeed});
  const double loss = engine.step(input, labels);
  const ReferenceStep expected = reference_training_step(g, reference_params, input, labels, {.seed = kSeed});
  EXPECT_NEAR(loss, expected.loss, 1e-5 * std::max(1.0, expected.loss));
  EXPECT_LT(relative_error(engine.outputs()[0].f32(), expected.outputs[0].f32()), 1e-5);
  ASSERT_EQ(engine.gradients().size(), expected.gradients.size());
  for (const auto& [name, grad] : expected.gradients) {
    EXPECT_LT(relative_error(engine.gradients().at(name).f32(), grad.f32()), 1e-4) << name;
  }
}

// The one rule every in-place decision asks.
TEST(BufferSharing, ViewsShareTheirInputsBufferAndItsReaders) {
  Builder b("sharing", {2, 3, 4, 4});
  const ValueId x = b.add({b.input(), b.input()}, "x");
  const ValueId flat = b.flatten(x, "flat");
  const ValueId dropped = b.dropout(flat, "drop", 0.5);
  const ValueId r = b.relu(dropped, "relu");
  b.output(r);
  const Graph g = b.finish();
  const NodeId relu = *g.find_node("relu");
  EXPECT_TRUE(is_view(OpKind::Reshape, Pass::Training));
  EXPECT_TRUE(is_view(OpKind::Dropout, Pass::Inference));
  EXPECT_FALSE(is_view(OpKind::Dropout, Pass::Training));
  EXPECT_FALSE(is_view(OpKind::Relu, Pass::Inference));
  EXPECT_EQ(buffer_owner(g, dropped, Pass::Inference), x);
  EXPECT_EQ(buffer_owner(g, dropped, Pass::Training), dropped);
  EXPECT_EQ(buffer_sharers(g, x, Pass::Inference), (std::vector<ValueId>{x, flat, dropped}));
  EXPECT_EQ(buffer_readers(g, flat, Pass::Inference), std::vector<NodeId>{relu});
  // Nothing else reads x: the ReLU may overwrite it through two views, but not the graph's input.
  EXPECT_TRUE(may_overwrite_buffer(g, dropped, relu, relu, Pass::Inference));
  EXPECT_FALSE(may_overwrite_buffer(g, b.input(), *g.find_node("x"), *g.find_node("x"), Pass::Inference));
}

TEST(BufferSharing, AReturnedOrLaterReadViewKeepsTheBuffer) {
  Builder b("sharing_kept", {2, 3, 4, 4});
  const ValueId x = b.add({b.input(), b.input()}, "x");
  const ValueId flat = b.flatten(x, "flat");
  const ValueId r = b.relu(b.dropout(x, "drop", 0.5), "relu");
  const ValueId later = b.sigmoid(flat, "later");
  b.output(r);
  b.output(later);
  const Graph g = b.finish();
  const NodeId relu = *g.find_node("relu");
  const NodeId sigmoid = *g.find_node("later");
  EXPECT_FALSE(may_overwrite_buffer(g, x, relu, relu, Pass::Inference));          // the sigmoid reads it later
  EXPECT_TRUE(may_overwrite_buffer(g, flat, sigmoid, sigmoid, Pass::Inference));  // the ReLU has run
  Builder c("sharing_output", {2, 3, 4, 4});
  const ValueId y = c.add({c.input(), c.input()}, "y");
  c.output(c.relu(c.flatten(y, "flat"), "relu"));
  c.output(y);
  const Graph h = c.finish();
  EXPECT_FALSE(may_overwrite_buffer(h, y, *h.find_node("relu"), *h.find_node("relu"), Pass::Inference));
}

}  // namespace
}  // namespace cnnzoo
