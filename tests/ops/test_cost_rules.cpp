// Cost rules against hand-computed MACs and FLOPs (docs/counting.md states each rule).
#include <gtest/gtest.h>

#include "cnnzoo/analysis.h"
#include "cnnzoo/builder.h"

namespace cnnzoo {
namespace {

// Builds a one-node graph and returns its cost.
template <typename AddNode>
NodeCost cost_of(Dims in, AddNode add) {
  Builder b("t", std::move(in));
  b.output(add(b, b.input()));
  const Graph g = b.finish();
  return node_cost(g, static_cast<NodeId>(g.nodes().size()) - 1);
}

TEST(ConvCost, MultiplyAddsPerOutput) {
  // AlexNet (torchvision) conv1: 64 x 55 x 55 outputs, each 3 x 11 x 11 = 363 MACs: 70,276,800.
  const NodeCost c = cost_of({1, 3, 224, 224}, [](Builder& b, ValueId x) {
    return b.conv(x, "c", {.out = 64, .kernel = 11, .stride = 4, .pad = 2});
  });
  EXPECT_EQ(c.macs, 70'276'800);
  // FLOPs: 2 per MAC plus one bias addition per output (193,600 outputs).
  EXPECT_EQ(c.flops, 2 * 70'276'800 + 193'600);
}

TEST(ConvCost, GroupsDivideTheWork) {
  // 64 -> 64, 3x3, 32 groups, 8x8 output: 64*8*8 outputs * (64/32)*9 = 73,728; no bias.
  const NodeCost c = cost_of({1, 64, 8, 8}, [](Builder& b, ValueId x) {
    return b.conv(x, "c", {.out = 64, .kernel = 3, .pad = 1, .groups = 32, .bias = false});
  });
  EXPECT_EQ(c.macs, 73'728);
  EXPECT_EQ(c.flops, 2 * 73'728);
}

TEST(ConvCost, BatchMultiplies) {
  const auto one =
      cost_of({1, 16, 10, 10}, [](Builder& b, ValueId x) { return b.conv(x, "c", {.out = 8, .kernel = 3}); });
  const auto four =
      cost_of({4, 16, 10, 10}, [](Builder& b, ValueId x) { return b.conv(x, "c", {.out = 8, .kernel = 3}); });
  EXPECT_EQ(one.macs, 8 * 8 * 8 * 16 * 9);
  EXPECT_EQ(four.macs, 4 * one.macs);
}

TEST(LinearCost, InTimesOut) {
  // AlexNet fc6: 9216 x 4096 = 37,748,736 MACs; bias adds 4096.
  const NodeCost c = cost_of({1, 9216}, [](Builder& b, ValueId x) { return b.linear(x, "fc", {.out = 4096}); });
  EXPECT_EQ(c.macs, 37'748'736);
  EXPECT_EQ(c.flops, 2 * 37'748'736 + 4096);
}

TEST(PoolCost, ComparisonsAndAdditions) {
  // Max 3x3/2 on 64x55x55 -> 64x27x27 = 46,656 outputs, 8 comparisons each.
  const auto max =
      cost_of({1, 64, 55, 55}, [](Builder& b, ValueId x) { return b.max_pool(x, "p", {.kernel = 3, .stride = 2}); });
  EXPECT_EQ(max.macs, 0);
  EXPECT_EQ(max.flops, 46'656 * 8);
  // Average 2x2/2 on 8x8x8 -> 128 outputs, 3 additions and 1 division each.
  const auto avg = cost_of({1, 8, 8, 8}, [](Builder& b, ValueId x) { return b.avg_pool(x, "p", {.kernel = 2}); });
  EXPECT_EQ(avg.flops, 128 * 4);
  // Global average over 2048x7x7: 49 per channel.
  const auto gap = cost_of({1, 2048, 7, 7}, [](Builder& b, ValueId x) { return b.global_avg_pool(x, "p"); });
  EXPECT_EQ(gap.flops, 2048 * 49);
}

TEST(PoolCost, AdaptiveWindowsOverlapLikePyTorch) {
  // 13 -> 6: windows [0,3) [2,5) [4,7) [6,9) [8,11) [10,13): 3 each, 18 per axis; 18*18 per channel.
  const auto c = cost_of({1, 2, 13, 13}, [](Builder& b, ValueId x) { return b.adaptive_avg_pool(x, "p", 6); });
  EXPECT_EQ(c.flops, 2 * 18 * 18);
  // 7 -> 7 is the identity window: one per element.
  const auto same = cost_of({1, 512, 7, 7}, [](Builder& b, ValueId x) { return b.adaptive_avg_pool(x, "p", 7); });
  EXPECT_EQ(same.flops, 512 * 49);
}

TEST(ElementwiseCost, DocumentedCounts) {
  const Dims in{2, 8, 4, 4};  // 256 elements
  EXPECT_EQ(cost_of(in, [](Builder& b, ValueId x) { return b.relu(x, "r"); }).flops, 256);
  EXPECT_EQ(cost_of(in, [](Builder& b, ValueId x) { return b.batch_norm(x, "bn"); }).flops, 2 * 256);
  EXPECT_EQ(cost_of(in, [](Builder& b, ValueId x) { return b.sigmoid(x, "s"); }).flops, 4 * 256);
  EXPECT_EQ(cost_of(in, [](Builder& b, ValueId x) { return b.append(OpKind::Elu, "e", attr::Elu{}, {x}); }).flops,
            4 * 256);
  EXPECT_EQ(
      cost_of(in, [](Builder& b, ValueId x) { return b.append(OpKind::Scale, "s", attr::Scale{0.2}, {x}); }).flops,
      256);
  EXPECT_EQ(cost_of(in, [](Builder& b, ValueId x) { return b.dropout(x, "d", 0.5); }).flops, 0);
  const auto affine = [](Builder& b, ValueId x) {
    return b.append(OpKind::ChannelAffine, "t", attr::ChannelAffine{std::vector(8, 2.0), std::vector(8, 1.0)}, {x});
  };
  EXPECT_EQ(cost_of(in, affine).flops, 2 * 256);  // a multiplication and an addition
  EXPECT_EQ(cost_of(in, affine).macs, 0);
  EXPECT_EQ(cost_of(in, [](Builder& b, ValueId x) { return b.lrn(x, "l", {.size = 5}); }).flops, 13 * 256);
  EXPECT_EQ(cost_of(in, [](Builder& b, ValueId x) { return b.add({x, x, x}, "a"); }).flops, 2 * 256);
  EXPECT_EQ(cost_of(in, [](Builder& b, ValueId x) { return b.concat({x, x}, "c"); }).flops, 0);
  EXPECT_EQ(cost_of({2, 10}, [](Builder& b, ValueId x) { return b.softmax(x, "s"); }).flops, 5 * 20);
  EXPECT_EQ(cost_of(in, [](Builder& b, ValueId x) { return b.channel_mul(x, b.global_avg_pool(x, "g"), "m"); }).flops,
            256);
  for (auto op : {0, 1}) {
    const auto c = cost_of(in, [op](Builder& b, ValueId x) { return op ? b.relu(x, "r") : b.batch_norm(x, "bn"); });
    EXPECT_EQ(c.macs, 0) << "only convolution and linear layers count multiply-adds";
  }
}

}  // namespace
}  // namespace cnnzoo
