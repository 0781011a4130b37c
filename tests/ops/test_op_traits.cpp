// The op table's traits (src/ops/): the facts that the engines, the analysis and ONNX read from it,
// checked where they show: buffers shared or overwritten, rows of the summary, slices of a batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "cnnzoo/analysis.h"
#include "cnnzoo/buffer_sharing.h"
#include "cnnzoo/builder.h"
#include "cnnzoo/error.h"
#include "cnnzoo/training_storage.h"
#include "ops/rules.h"

namespace cnnzoo {
namespace {

TEST(OpTraits, EveryOpHasItsNameFamilyAndConsistentOnnxMapping) {
  for (std::size_t k = 0; k < kOpCount; ++k) {
    const auto op = static_cast<OpKind>(k);
    SCOPED_TRACE(std::string(op_name(op)));
    const ops::OpTraits& t = ops::traits(op);
    EXPECT_FALSE(op_name(op).empty());
    // An op that maps to ONNX one to one has both directions; its attributes survive the trip.
    EXPECT_EQ(t.onnx_name.empty(), t.onnx_attributes == nullptr);
    EXPECT_EQ(t.onnx_name.empty(), t.from_onnx == nullptr);
    if (t.from_onnx != nullptr) {
      const Attrs defaults = t.from_onnx([](std::string_view, double fallback) { return fallback; });
      EXPECT_TRUE(ops::rules(op).attrs_fit(defaults));
      const auto attributes = t.onnx_attributes(defaults);
      const Attrs again = t.from_onnx([&](std::string_view name, double fallback) {
        for (const ops::OnnxFloatAttribute& a : attributes) {
          if (a.name == name) return a.value + 0.25;  // a value other than the default
        }
        return fallback;
      });
      for (const ops::OnnxFloatAttribute& a : t.onnx_attributes(again)) {
        EXPECT_NE(std::find_if(
                      attributes.begin(), attributes.end(),
                      [&](const ops::OnnxFloatAttribute& d) { return d.name == a.name && d.value + 0.25 == a.value; }),
                  attributes.end())
            << a.name;
      }
    }
    // Only the zoo's ops train; the inference-only ops may mix the samples of a batch, except the functions of
    // one input of imported graphs, which are elementwise.
    const std::set<OpKind> elementwise{OpKind::Sqrt, OpKind::Exp, OpKind::Erf,         OpKind::Tanh,
                                       OpKind::Abs,  OpKind::Neg, OpKind::HardSigmoid, OpKind::HardSwish};
    EXPECT_EQ(t.mixes_batch, !t.trains && !elementwise.contains(op));
  }
  EXPECT_EQ(op_family(OpKind::Elu), OpFamily::Activation);
  EXPECT_EQ(ops::traits(OpKind::Elu).onnx_name, "Elu");
  EXPECT_EQ(op_name(OpKind::Elu), "elu");
}

TEST(OpTraits, ViewsAreTheOpsWhoseOutputIsTheirInputsBuffer) {
  std::vector<std::pair<std::string_view, std::string_view>> views;
  for (std::size_t k = 0; k < kOpCount; ++k) {
    const auto op = static_cast<OpKind>(k);
    if (is_view(op, Pass::Inference))
      views.emplace_back(op_name(op), is_view(op, Pass::Training) ? "always" : "inference");
  }
  EXPECT_EQ(views, (std::vector<std::pair<std::string_view, std::string_view>>{
                       {"dropout", "inference"}, {"flatten", "always"}, {"reshape", "always"}}));
}

// An op whose backward reads its output keeps that output: a ReLU after an ELU cannot overwrite it, while
// a ReLU after a convolution (whose backward reads its input) can. ELU itself never works in place.
TEST(OpTraits, AnOutputTheBackwardReadsIsNeverOverwritten) {
  Builder b("t", {2, 4, 6, 6});
  const ValueId conv = b.conv(b.input(), "conv", {.out = 4, .kernel = 3, .pad = 1});
  const ValueId relu_after_conv = b.relu(conv, "relu_conv");
  const ValueId elu = b.append(OpKind::Elu, "elu", attr::Elu{.alpha = 0.5}, {relu_after_conv});
  const ValueId relu_after_elu = b.relu(elu, "relu_elu");
  b.output(b.linear(b.flatten(relu_after_elu, "flat"), "fc", {.out = 3}));
  const Graph g = b.finish();
  EXPECT_EQ(training_output(g, *g.find_node("relu_conv")), TrainingOutput::InPlace);
  EXPECT_EQ(training_output(g, *g.find_node("elu")), TrainingOutput::Own);
  EXPECT_EQ(training_output(g, *g.find_node("relu_elu")), TrainingOutput::Own);
}

// The papers' tables fold a layer's activation into its row: conv+elu is one row, as conv+relu is.
TEST(OpTraits, ActivationsFoldIntoTheLayerRow) {
  Builder b("t", {1, 3, 8, 8});
  const ValueId conv = b.conv(b.input(), "conv", {.out = 4, .kernel = 3, .pad = 1});
  const ValueId elu = b.append(OpKind::Elu, "elu", attr::Elu{}, {conv});
  b.output(b.linear(b.flatten(elu, "flat"), "fc", {.out = 3}));
  const Analysis a = analyze(b.finish(), {});
  ASSERT_FALSE(a.layers.empty());
  EXPECT_EQ(row_kind(a.layers[0]), "conv+elu");
}

TEST(OpTraits, EluRefusesANegativeOrNaNAlpha) {
  for (const double alpha : {-0.5, std::nan("")}) {
    Builder b("t", {1, 3, 4, 4});
    try {
      b.append(OpKind::Elu, "act", attr::Elu{.alpha = alpha}, {b.input()});
      ADD_FAILURE() << "alpha " << alpha << " was taken";
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find("act: elu needs 0 <= alpha <= 1e6, got"), std::string::npos) << e.what();
    }
  }
}

TEST(OpTraits, ScaleRefusesANonFiniteFactorAndHasNoOnnxNameOfItsOwn) {
  for (const double factor : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    Builder b("t", {1, 3, 4, 4});
    try {
      b.append(OpKind::Scale, "s", attr::Scale{.factor = factor}, {b.input()});
      ADD_FAILURE() << "factor " << factor << " was taken";
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find("s: scale needs a finite factor, got"), std::string::npos) << e.what();
    }
  }
  // Exported as a Mul by a scalar and read back from one (src/onnx/): no one-to-one converter of its own.
  EXPECT_EQ(op_family(OpKind::Scale), OpFamily::Activation);
  EXPECT_TRUE(ops::traits(OpKind::Scale).onnx_name.empty());
  EXPECT_TRUE(ops::traits(OpKind::Scale).trains);
}

// A channel affine map needs one finite scale and shift per channel; it has no parameters, and trains.
TEST(OpTraits, ChannelAffineNeedsOneFiniteScaleAndShiftPerChannel) {
  const auto refused = [](const attr::ChannelAffine& a, const std::string& message) {
    Builder b("t", {1, 3, 4, 4});
    try {
      b.append(OpKind::ChannelAffine, "t", a, {b.input()});
      ADD_FAILURE() << "taken: " << message;
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find("t: channel_affine " + message), std::string::npos) << e.what();
    }
  };
  refused({.scale = {1, 2}, .shift = {0, 0, 0}}, "needs one scale and one shift per input channel (3), got 2 and 3");
  refused({.scale = {1, 2, 3}, .shift = {}}, "needs one scale and one shift per input channel (3), got 3 and 0");
  refused({.scale = {1, std::nan(""), 3}, .shift = {0, 0, 0}}, "needs finite scales and shifts");
  refused({.scale = {1, 2, 3}, .shift = {0, std::numeric_limits<double>::infinity(), 0}},
          "needs finite scales and shifts");
  Builder b("t", {1, 3, 4, 4});
  b.output(b.append(OpKind::ChannelAffine, "t", attr::ChannelAffine{{1, 2, 3}, {0, 0, 0}}, {b.input()}));
  const Graph g = b.finish();
  EXPECT_TRUE(g.node(0).params.empty());
  EXPECT_EQ(g.shape(g.outputs()[0]), (Dims{1, 3, 4, 4}));
  EXPECT_TRUE(ops::traits(OpKind::ChannelAffine).trains);
}

}  // namespace
}  // namespace cnnzoo
