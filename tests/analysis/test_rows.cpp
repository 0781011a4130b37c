// How the analysis groups nodes into the papers' rows, cuts at --until, and sums totals.
#include <gtest/gtest.h>

#include <numeric>

#include "analysis/find_row.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/builder.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

using test::row;

TEST(Rows, ConvWithItsBatchNormAndReluIsOneRow) {
  const Analysis a = analyze(build_model("resnet50"));
  const LayerRow& stem = row(a, "conv1");
  EXPECT_EQ(stem.op, "conv");
  EXPECT_EQ(stem.nodes.size(), 3u);  // conv1, bn1, relu
  ASSERT_EQ(stem.folded.size(), 2u);
  EXPECT_EQ(stem.folded[0].name, "bn1");
  EXPECT_EQ(stem.folded[0].params, 2 * 64);
  EXPECT_EQ(stem.folded[1].name, "relu");
  EXPECT_EQ(stem.input, (Dims{1, 3, 224, 224}));
  EXPECT_EQ(stem.params, 64 * 3 * 7 * 7 + 2 * 64);
  EXPECT_EQ(stem.buffers, 2 * 64 + 1);
  EXPECT_EQ(stem.output, (Dims{1, 64, 112, 112}));
  EXPECT_EQ(stem.activation_bytes, 64 * 112 * 112 * 4);
  EXPECT_EQ(stem.macs, 64 * 112 * 112 * 3 * 49);
  // The residual add takes the ReLU after it.
  const LayerRow& add = row(a, "layer1.0.add");
  EXPECT_EQ(add.op, "add");
  EXPECT_EQ(add.nodes.size(), 2u);
  EXPECT_EQ(add.output, (Dims{1, 256, 56, 56}));
}

TEST(Rows, ResNet18HasThePapersLayers) {
  // conv1, maxpool, 16 block convolutions, 3 projection shortcuts, 8 adds, avgpool, flatten, fc.
  const Analysis a = analyze(build_model("resnet18"));
  EXPECT_EQ(a.layers.size(), 1u + 1 + 16 + 3 + 8 + 1 + 1 + 1);
  int convs = 0;
  for (const LayerRow& r : a.layers) convs += r.op == "conv";
  EXPECT_EQ(convs, 20);
}

TEST(Rows, TotalsAreTheSumsOfTheRowsAndOfEveryNode) {
  for (const char* name : {"googlenet", "densenet121", "se_resnet50", "resnet20"}) {
    SCOPED_TRACE(name);
    const Graph g = build_model(name, {.batch = 3});
    const Analysis rows = analyze(g);
    const Analysis nodes = analyze(g, {.all_nodes = true});
    EXPECT_EQ(nodes.layers.size(), g.nodes().size());
    int64_t params = 0, macs = 0, flops = 0, bytes = 0;
    for (const LayerRow& r : rows.layers) {
      params += r.params;
      macs += r.macs;
      flops += r.flops;
      bytes += r.activation_bytes;
    }
    EXPECT_EQ(rows.total.params, params);
    EXPECT_EQ(rows.total.macs, macs);
    EXPECT_EQ(rows.total.flops, flops);
    EXPECT_EQ(rows.total.activation_bytes, bytes);
    EXPECT_EQ(nodes.total.params, rows.total.params);
    EXPECT_EQ(nodes.total.macs, rows.total.macs);
    EXPECT_EQ(nodes.total.flops, rows.total.flops);
    // The activation total counts the layer rows' outputs in either view.
    EXPECT_EQ(nodes.total.activation_bytes, rows.total.activation_bytes);
    EXPECT_EQ(rows.total.param_bytes, 4 * rows.total.params);
  }
}

TEST(Rows, BatchScalesWorkAndMemoryButNotParameters) {
  const Analysis one = analyze(build_model("vgg11"));
  const Analysis eight = analyze(build_model("vgg11", {.batch = 8}));
  EXPECT_EQ(eight.batch, 8);
  EXPECT_EQ(eight.total.params, one.total.params);
  EXPECT_EQ(eight.total.macs, 8 * one.total.macs);
  EXPECT_EQ(eight.total.activation_bytes, 8 * one.total.activation_bytes);
}

TEST(Rows, TrainingMemoryEstimateCountsWeightsGradientsMomentumAndActivations) {
  const Graph g = build_model("alexnet");
  const Analysis a = analyze(g);
  // Every ReLU of AlexNet overwrites the convolution's or linear layer's output before it; the rest keep
  // their outputs (the input too), and each dropout a byte mask per element.
  int64_t node_outputs = 3 * 224 * 224, relu_outputs = 0, dropout_masks = 0;
  for (const Node& n : g.nodes()) {
    node_outputs += numel(g.shape(n.output));
    if (n.op == OpKind::Relu) relu_outputs += numel(g.shape(n.output));
    if (n.op == OpKind::Dropout) dropout_masks += numel(g.shape(n.output));
  }
  // features: 64x55x55, 192x27x27, 384x13x13, 256x13x13, 256x13x13; classifier: 4096, 4096.
  EXPECT_EQ(relu_outputs, 64 * 55 * 55 + 192 * 27 * 27 + 384 * 13 * 13 + 2 * 256 * 13 * 13 + 2 * 4096);
  EXPECT_EQ(dropout_masks, 256 * 6 * 6 + 4096);
  EXPECT_EQ(a.total.training_bytes,
            2 * 4 * a.total.params + a.total.buffer_bytes + 4 * (node_outputs - relu_outputs) + dropout_masks);
}

TEST(Rows, TrainingMemoryEstimateCountsFusedReluAsABitMask) {
  // conv (2x4x4) -> batch norm -> ReLU, which the batch norm applies: 32 elements, 4 bytes of mask. The
  // conv (1x1 on one channel, read only by the batch norm) is recomputed in backward; the batch norm's
  // output is the graph's output, kept, until a second convolution after it makes it recomputed too.
  for (const bool conv_after : {false, true}) {
    Builder b("conv_bn_relu", {1, 1, 4, 4});
    ValueId y = b.relu(b.batch_norm(b.conv(b.input(), "conv", {.out = 2, .kernel = 1}), "bn"), "relu");
    if (conv_after) y = b.conv(y, "conv_after", {.out = 1, .kernel = 1, .bias = false});
    b.output(y);
    const Analysis a = analyze(b.finish());
    SCOPED_TRACE(conv_after);
    // conv weight and bias, bn weight and bias, and the second conv's weight
    EXPECT_EQ(a.total.param_bytes, 4 * (2 + 2 + 2 + 2 + (conv_after ? 2 : 0)));
    const int64_t kept = conv_after ? 16 + 16 : 16 + 32;  // input, and conv_after or bn
    EXPECT_EQ(a.total.training_bytes, 2 * a.total.param_bytes + a.total.buffer_bytes + 4 * kept + 4);
  }
}

TEST(Rows, PeakLiveBytesFollowsLifetimes) {
  // input (64 B) -> conv a (128 B) -> relu b (128 B) -> add(a, b) (128 B): a lives until the add.
  Builder builder("chain", {1, 1, 4, 4});
  ValueId a = builder.conv(builder.input(), "a", {.out = 2, .kernel = 1});
  ValueId b = builder.relu(a, "b");
  builder.output(builder.add({a, b}, "sum"));
  const Graph g = builder.finish();
  // Step 0: input + a = 192; step 1: a + b = 256; step 2: a + b + sum = 384.
  EXPECT_EQ(analyze(g).total.peak_live_bytes, 384);
  // Cut after b: the sum never runs.
  EXPECT_EQ(analyze(g, {.until = "b"}).total.peak_live_bytes, 256);
}

TEST(Until, StopsAfterTheNamedRowWithItsFollowers) {
  const Analysis a = analyze(build_model("vgg16"), {.until = "features.0"});
  ASSERT_EQ(a.layers.size(), 1u);
  EXPECT_EQ(a.layers[0].nodes.size(), 2u);  // the conv and its ReLU
  EXPECT_EQ(a.total.params, 64 * 27 + 64);
}

TEST(Until, GoogLeNetStem) {
  const Analysis a = analyze(build_model("googlenet"), {.until = "maxpool2"});
  EXPECT_EQ(a.layers.back().name, "maxpool2");
  EXPECT_EQ(a.layers.back().output, (Dims{1, 192, 28, 28}));
  // conv1 7x7 3->64, conv2 1x1 64->64, conv3 3x3 64->192, no biases; BN adds 2 x (64 + 64 + 192).
  EXPECT_EQ(a.total.params, 9408 + 4096 + 110592 + 2 * 320);
  EXPECT_EQ(a.total.macs, 64LL * 112 * 112 * 147 + 64LL * 56 * 56 * 64 + 192LL * 56 * 56 * 576);
}

TEST(Until, AModulePrefixTakesTheWholeModule) {
  const Analysis a = analyze(build_model("resnet50"), {.until = "layer2"});
  EXPECT_EQ(a.layers.back().name, "layer2.3.add");
  EXPECT_EQ(a.layers.back().output, (Dims{1, 512, 28, 28}));
}

TEST(Until, AnUnknownNameListsTheModules) {
  try {
    analyze(build_model("resnet18"), {.until = "layer9"});
    FAIL() << "expected UnknownNameError";
  } catch (const UnknownNameError& e) {
    EXPECT_STREQ(
        e.what(),
        "AnalysisOptions::until: no row, node or module named 'layer9' in resnet18; its top-level modules: conv1, bn1, "
        "relu, maxpool, layer1, layer2, layer3, layer4, avgpool, flatten, fc");
  }
}

TEST(ReceptiveField, KnownFiguresOfVggAndAlexNet) {
  const Analysis vgg = analyze(build_model("vgg16"));
  EXPECT_EQ(row(vgg, "features.0").receptive_field, Hw(3));
  EXPECT_EQ(row(vgg, "features.2").receptive_field, Hw(5));
  EXPECT_EQ(row(vgg, "features.4").receptive_field, Hw(6));
  // conv5_3 sees 196 pixels and pool5 212: the figures usually quoted for VGG-16.
  EXPECT_EQ(row(vgg, "features.28").receptive_field, Hw(196));
  EXPECT_EQ(row(vgg, "features.30").receptive_field, Hw(212));
  const Analysis alex = analyze(build_model("alexnet_paper"));
  // AlexNet: conv1 11, pool1 19, conv2 51, pool2 67, conv3 99, conv4 131, conv5 163, pool5 195.
  EXPECT_EQ(row(alex, "features.0").receptive_field, Hw(11));
  EXPECT_EQ(row(alex, "features.14").receptive_field, Hw(195));
}

TEST(ReceptiveField, TheSeGateDoesNotWidenIt) {
  // The SE gate scales channels; its global pooling must not make the field grow block after block.
  const Analysis plain = analyze(build_model("resnet152_v1"));
  const Analysis se = analyze(build_model("se_resnet152"));
  EXPECT_EQ(row(se, "layer4.2.add").receptive_field, row(plain, "layer4.2.add").receptive_field);
  // ResNet's stem: 7x7/2 conv (7), 3x3/2 pool (7 + 2*2 = 11).
  EXPECT_EQ(row(plain, "conv1").receptive_field, Hw(7));
  EXPECT_EQ(row(plain, "maxpool").receptive_field, Hw(11));
}

}  // namespace
}  // namespace cnnzoo
