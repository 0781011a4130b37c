// Shape rules against hand-computed figures, and the errors a misfit produces.
#include <gtest/gtest.h>

#include "cnnzoo/builder.h"
#include "cnnzoo/error.h"

namespace cnnzoo {
namespace {

Dims conv_out(Dims in, const attr::Conv& a) {
  Builder b("t", std::move(in));
  return b.shape(b.conv(b.input(), "conv", a));
}

Dims pool_out(Dims in, const attr::Pool& a, bool max = true) {
  Builder b("t", std::move(in));
  return b.shape(max ? b.max_pool(b.input(), "pool", a) : b.avg_pool(b.input(), "pool", a));
}

TEST(ConvShape, AlexNetFirstLayers) {
  // torchvision AlexNet conv1: (224 + 2*2 - 11) / 4 + 1 = 55.
  EXPECT_EQ(conv_out({1, 3, 224, 224}, {.out = 64, .kernel = 11, .stride = 4, .pad = 2}), (Dims{1, 64, 55, 55}));
  // The paper's 227x227 input with no padding: (227 - 11) / 4 + 1 = 55.
  EXPECT_EQ(conv_out({2, 3, 227, 227}, {.out = 96, .kernel = 11, .stride = 4}), (Dims{2, 96, 55, 55}));
}

TEST(ConvShape, StrideFloorsAndRectangularKernels) {
  // (224 + 6 - 7) / 2 + 1 = 112 (floor of 112.5).
  EXPECT_EQ(conv_out({1, 3, 224, 224}, {.out = 64, .kernel = 7, .stride = 2, .pad = 3}), (Dims{1, 64, 112, 112}));
  // 1x7 kernel, pad (0, 3): height 10 - 1 + 1 = 10, width 12 + 6 - 7 + 1 = 12.
  EXPECT_EQ(conv_out({1, 4, 10, 12}, {.out = 8, .kernel = {1, 7}, .pad = {0, 3}}), (Dims{1, 8, 10, 12}));
}

TEST(ConvShape, DilationWidensTheKernel) {
  // A 3x3 kernel with dilation 2 spans 5 pixels: 32 + 2 - 5 + 1 = 30.
  EXPECT_EQ(conv_out({1, 16, 32, 32}, {.out = 16, .kernel = 3, .pad = 1, .dilation = 2}), (Dims{1, 16, 30, 30}));
  // Padding equal to the dilation keeps the size.
  EXPECT_EQ(conv_out({1, 16, 32, 32}, {.out = 16, .kernel = 3, .pad = 2, .dilation = 2}), (Dims{1, 16, 32, 32}));
}

TEST(ConvShape, AsymmetricPadding) {
  // 'same' padding for stride 2 on an even input pads 0 before and 1 after: (8 + 0 + 1 - 3) / 2 + 1 = 4.
  EXPECT_EQ(conv_out({1, 1, 8, 8}, {.out = 1, .kernel = 3, .stride = 2, .pad = 0, .pad_end = Hw{1}}),
            (Dims{1, 1, 4, 4}));
}

TEST(ConvShape, GroupsMustDivideChannels) {
  EXPECT_EQ(conv_out({1, 128, 28, 28}, {.out = 128, .kernel = 3, .pad = 1, .groups = 32}), (Dims{1, 128, 28, 28}));
  try {
    conv_out({1, 96, 28, 28}, {.out = 256, .kernel = 5, .groups = 5});
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "conv: conv has 5 groups, which must divide both 96 input and 256 output channels");
  }
}

TEST(ConvShape, WrongChannelsNameTheNodeAndBothCounts) {
  Builder b("t", {1, 3, 224, 224});
  try {
    b.conv(b.input(), "features.3", {.out = 192, .kernel = 5, .pad = 2, .in = 64});
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "features.3: conv expects 64 input channels, got 3 (input 1x3x224x224)");
  }
}

TEST(ConvShape, InputTooSmallNamesTheNode) {
  Builder b("t", {1, 3, 5, 5});
  try {
    b.conv(b.input(), "features.0", {.out = 8, .kernel = 11, .stride = 4});
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(),
                 "features.0: conv output height would be 0: input height 5 with padding 0+0 is smaller than the "
                 "kernel span 11");
  }
}

TEST(PoolShape, FloorAndCeilMode) {
  // 112 -> 3/2: floor (109/2)+1 = 55; ceil ceil(109/2)+1 = 56 (torchvision GoogLeNet).
  EXPECT_EQ(pool_out({1, 64, 112, 112}, {.kernel = 3, .stride = 2}), (Dims{1, 64, 55, 55}));
  EXPECT_EQ(pool_out({1, 64, 112, 112}, {.kernel = 3, .stride = 2, .ceil_mode = true}), (Dims{1, 64, 56, 56}));
  // 14 -> 2/2 ceil: 7, no extra window since 14 divides evenly.
  EXPECT_EQ(pool_out({1, 832, 14, 14}, {.kernel = 2, .stride = 2, .ceil_mode = true}), (Dims{1, 832, 7, 7}));
}

TEST(PoolShape, CeilModeDropsAWindowStartingInThePadding) {
  // in 5, k 2, s 2, pad 1: room = 5 + 2 - 2 = 5, ceil(5/2) + 1 = 4, but window 3 would start at 6 >= 5 + 1,
  // so PyTorch keeps 3.
  EXPECT_EQ(pool_out({1, 1, 5, 5}, {.kernel = 2, .stride = 2, .pad = 1, .ceil_mode = true}), (Dims{1, 1, 3, 3}));
}

TEST(PoolShape, StrideDefaultsToKernelAndPaddingIsBounded) {
  EXPECT_EQ(pool_out({1, 8, 8, 8}, {.kernel = 2}, false), (Dims{1, 8, 4, 4}));
  EXPECT_EQ(pool_out({1, 8, 56, 56}, {.kernel = 3, .stride = 1, .pad = 1}), (Dims{1, 8, 56, 56}));
  // Padding up to kernel - 1 (ONNX files use it: every window still sees an input pixel), not more.
  EXPECT_EQ(pool_out({1, 8, 8, 8}, {.kernel = 3, .stride = 1, .pad = 2}), (Dims{1, 8, 10, 10}));
  EXPECT_THROW(pool_out({1, 8, 8, 8}, {.kernel = 3, .stride = 1, .pad = 3}), ShapeError);
  EXPECT_THROW(pool_out({1, 8, 8, 8}, {.kernel = 3, .stride = 1, .pad = 0, .pad_end = Hw{3}}), ShapeError);
}

TEST(OtherShapes, AdaptiveGlobalFlattenLinear) {
  Builder b("t", {2, 256, 13, 13});
  ValueId x = b.adaptive_avg_pool(b.input(), "avgpool", 6);
  EXPECT_EQ(b.shape(x), (Dims{2, 256, 6, 6}));
  EXPECT_EQ(b.shape(b.global_avg_pool(b.input(), "gap")), (Dims{2, 256, 1, 1}));
  x = b.flatten(x, "flatten");
  EXPECT_EQ(b.shape(x), (Dims{2, 9216}));
  EXPECT_EQ(b.shape(b.linear(x, "fc", {.out = 4096})), (Dims{2, 4096}));
  try {
    b.linear(x, "classifier.1", {.out = 10, .in = 25088});
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "classifier.1: linear expects 25088 input features, got 9216 (input 2x9216)");
  }
}

TEST(OtherShapes, ConcatAddChannelMulPad) {
  Builder b("t", {1, 64, 28, 28});
  ValueId a = b.conv(b.input(), "a", {.out = 32, .kernel = 1});
  ValueId c = b.conv(b.input(), "c", {.out = 96, .kernel = 3, .pad = 1});
  EXPECT_EQ(b.shape(b.concat({b.input(), a, c}, "cat")), (Dims{1, 192, 28, 28}));
  EXPECT_EQ(b.shape(b.add({b.input(), b.input()}, "add")), (Dims{1, 64, 28, 28}));
  ValueId s = b.global_avg_pool(b.input(), "se.avgpool");
  EXPECT_EQ(b.shape(b.channel_mul(b.input(), s, "se.mul")), (Dims{1, 64, 28, 28}));
  EXPECT_EQ(b.shape(b.channel_pad(b.input(), "pad", 16, 16)), (Dims{1, 96, 28, 28}));
  try {
    b.add({a, c}, "layer1.0.add");
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "layer1.0.add: add cannot broadcast 1x32x28x28 with 1x96x28x28 (input 1)");
  }
  ValueId small = b.max_pool(b.input(), "p", {.kernel = 2});
  try {
    b.concat({b.input(), small}, "cat2");
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(),
                 "cat2: concat input 1 has shape 1x64x14x14, which does not match input 0's 1x64x28x28 outside axis 1");
  }
}

TEST(Graph, NamesAreUniqueAndParameterlessNodesAreRenamed) {
  Builder b("t", {1, 3, 8, 8});
  ValueId x = b.conv(b.input(), "conv1", {.out = 4, .kernel = 3});
  x = b.relu(x, "relu");
  x = b.relu(x, "relu");
  EXPECT_TRUE(b.graph().has_node("relu_1"));
  EXPECT_THROW(b.conv(x, "conv1", {.out = 4, .kernel = 1}), GraphError);
  b.output(x);
  Graph g = b.finish();
  EXPECT_EQ(g.nodes().size(), 3u);
  EXPECT_EQ(g.node(0).params.at(0).name, "conv1.weight");
  EXPECT_EQ(g.node(0).params.at(0).shape, (Dims{4, 3, 3, 3}));
  EXPECT_EQ(g.node(0).params.at(1).name, "conv1.bias");
}

TEST(Graph, VerifierRequiresAnOutput) {
  Builder b("t", {1, 3, 8, 8});
  b.relu(b.input(), "relu");
  EXPECT_THROW(b.finish(), GraphError);
}

TEST(Graph, BatchNormParametersFollowTorchvision) {
  Builder b("t", {1, 16, 4, 4});
  b.output(b.batch_norm(b.input(), "bn1"));
  const Graph g = b.finish();
  const auto& p = g.node(0).params;
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].name, "bn1.weight");
  EXPECT_EQ(p[1].name, "bn1.bias");
  EXPECT_EQ(p[2].name, "bn1.running_mean");
  EXPECT_EQ(p[2].kind, ParamKind::Buffer);
  EXPECT_EQ(p[3].name, "bn1.running_var");
  EXPECT_EQ(p[4].name, "bn1.num_batches_tracked");
  EXPECT_EQ(p[4].shape, Dims{});
  EXPECT_EQ(p[4].dtype, DType::I64);
}

}  // namespace
}  // namespace cnnzoo
