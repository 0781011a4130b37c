// Checked arithmetic (issue 12, item 3): element counts, bytes and cost figures that do not fit in int64
// are errors naming the node and the figure, never wrapped numbers; and the limits on rank, dimensions,
// node count and depth.
#include <gtest/gtest.h>

#include <limits>

#include "analysis/units.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/checked.h"
#include "cnnzoo/error.h"
#include "cnnzoo/graph.h"
#include "cnnzoo/models.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t k2To62 = int64_t{1} << 62;

// The message of the Error `f` throws, of type E; fails the test when it throws nothing or another type.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(CheckedArithmetic, MultiplyAndAddFailOnlyPastInt64) {
  EXPECT_EQ(checked_mul(3037000499, 3037000499, "x"), 9223372030926249001);  // the largest square that fits
  EXPECT_EQ(checked_mul(-4, k2To62 / 2, "x"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(checked_add(kInt64Max - 1, 1, "x"), kInt64Max);
  EXPECT_EQ(message_of<OverflowError>([] { checked_mul(3037000500, 3037000500, "MACs"); }),
            "MACs overflows 64 bits: 3037000500 x 3037000500 exceeds 9223372036854775807 (2^63 - 1)");
  EXPECT_EQ(message_of<OverflowError>([] { checked_add(kInt64Max, 1, "FLOPs"); }),
            "FLOPs overflows 64 bits: 9223372036854775807 + 1 exceeds 9223372036854775807 (2^63 - 1)");
  int64_t total = kInt64Max - 5;
  add_to(total, 5, "t");
  EXPECT_EQ(total, kInt64Max);
  EXPECT_THROW(add_to(total, 1, "t"), OverflowError);
  EXPECT_EQ(total, kInt64Max);  // unchanged by the failed addition
}

TEST(CheckedArithmetic, NumelOfAnOverflowingShapeThrows) {
  EXPECT_EQ(numel({4, k2To62 / 4 - 1, 2}), kInt64Max - 7);  // 2^63 - 8
  // 4 x (2^62 + 48) = 2^64 + 192: wraps to 192 without the check.
  EXPECT_EQ(message_of<OverflowError>([] {
              numel({4, k2To62 + 48});
            }),
            "the element count of 4x4611686018427387952 overflows 64 bits: 4 x 4611686018427387952 exceeds "
            "9223372036854775807 (2^63 - 1)");
  // A tensor's bytes: 2^61 float32 elements are 2^63 bytes, refused before anything is allocated.
  EXPECT_EQ(message_of<OverflowError>([] { Tensor t(Dims{int64_t{1} << 61}); }),
            "a tensor's bytes overflows 64 bits: 2305843009213693952 x 4 exceeds 9223372036854775807 (2^63 - 1)");
}

// The graph: x (1x3x8x8) reshaped to 4 x (2^62 + 48), then an op.
TEST(CheckedArithmetic, ReshapeToAnOverflowingShapeNamesTheNode) {
  Graph g("g");
  const ValueId x = g.add_input("x", {1, 3, 8, 8});
  const std::string m = message_of<OverflowError>([&] {
    g.add_node("big", OpKind::Reshape, attr::Reshape{{4, k2To62 + 48}}, {x});
  });
  EXPECT_TRUE(contains(m, "big: the element count of 4x4611686018427387952 overflows 64 bits")) << m;
  EXPECT_EQ(g.nodes().size(), 0u);
  // [1, 1, 2^62 + 48, 4] likewise; so is a shape whose product wraps to exactly 192.
  EXPECT_THROW(g.add_node("big2", OpKind::Reshape, attr::Reshape{{1, 1, k2To62 + 48, 4}}, {x}), OverflowError);
  EXPECT_THROW(g.add_node("big3", OpKind::Reshape, attr::Reshape{{int64_t{1} << 32, int64_t{1} << 32, 192}}, {x}),
               OverflowError);
}

TEST(CheckedArithmetic, ShapeLimitsNameTheNodeOrInput) {
  Graph g("g");
  EXPECT_EQ(message_of<ShapeError>([&] {
              g.add_input("x", {1, 3, kMaxDim + 1, 2});
            }),
            "input 'x': dimension 2147483648 of shape 1x3x2147483648x2 is outside 0..2147483647 (2^31 - 1), the "
            "largest supported");
  EXPECT_EQ(message_of<ShapeError>([&] { g.add_input("y", Dims(9, 1)); }),
            "input 'y': shape 1x1x1x1x1x1x1x1x1 has 9 dimensions; at most 8 are supported");
  EXPECT_EQ(message_of<OverflowError>([&] {
              g.add_input("z", {kMaxDim, kMaxDim, kMaxDim});
            }),
            "input 'z': the element count of 2147483647x2147483647x2147483647 overflows 64 bits: 4611686014132420609 "
            "x 2147483647 exceeds 9223372036854775807 (2^63 - 1)");
  // Rank 8 and a dimension at the limit are fine; a node that goes past either is named.
  const ValueId x = g.add_input("x", Dims(8, 2));
  EXPECT_EQ(message_of<ShapeError>([&] {
              g.add_node("r9", OpKind::Reshape, attr::Reshape{{2, 2, 2, 2, 2, 2, 2, 2, 1}}, {x});
            }),
            "r9: shape 2x2x2x2x2x2x2x2x1 has 9 dimensions; at most 8 are supported");
  const ValueId wide = g.add_input("wide", {1, 2, kMaxDim});
  EXPECT_EQ(message_of<ShapeError>([&] { g.add_node("flat", OpKind::Flatten, attr::Flatten{1}, {wide}); }),
            "flat: dimension 4294967294 of shape 1x4294967294 is outside 0..2147483647 (2^31 - 1), the largest "
            "supported");
  EXPECT_EQ(g.nodes().size(), 0u);
}

TEST(CheckedArithmetic, NodeCountIsLimited) {
  Graph g("chain");
  ValueId v = g.add_input("x", {1, 1});
  for (std::size_t i = 0; i < kMaxNodes; ++i) v = g.add_node("relu" + std::to_string(i), OpKind::Relu, {}, {v});
  EXPECT_EQ(message_of<GraphError>([&] { g.add_node("one_more", OpKind::Relu, {}, {v}); }),
            "one_more: graph 'chain' would have more than 100000 nodes, the most supported (docs/counting.md)");
}

// Windows whose attributes would divide by zero or overflow are refused, naming the node.
TEST(CheckedArithmetic, WindowAttributesNeverDivideByZeroOrWrap) {
  Graph g("g");
  const ValueId x = g.add_input("x", {1, 4, 9, 9});
  // Stride 0 in the IR is the kernel's (PyTorch's default): a 3x3 window moves by 3.
  EXPECT_EQ(g.shape(g.add_node("pool", OpKind::MaxPool, attr::Pool{.kernel = 3, .stride = 0}, {x})),
            (Dims{1, 4, 3, 3}));
  // ... so a kernel of 0 would make a stride of 0: refused before any division.
  EXPECT_EQ(message_of<ShapeError>([&] {
              g.add_node("pool0", OpKind::AvgPool, attr::Pool{.kernel = {0, 3}, .pad = {0, 1}}, {x});
            }),
            "pool0: avgpool padding 0x1 (after: 0x1) must be smaller than the kernel 0x3");
  EXPECT_EQ(
      message_of<ShapeError>([&] { g.add_node("p", OpKind::MaxPool, attr::Pool{.kernel = 2, .stride = -1}, {x}); }),
      "p: maxpool has an invalid height window (kernel 2, stride -1, padding 0/0, dilation 1)");
  EXPECT_EQ(message_of<ShapeError>([&] { g.add_node("c", OpKind::Conv, attr::Conv{.out = 4, .groups = 0}, {x}); }),
            "c: conv needs out >= 1 and groups >= 1, got 4 and 0");
  EXPECT_EQ(message_of<OverflowError>(
                [&] { g.add_node("c", OpKind::Conv, attr::Conv{.out = 4, .kernel = 3, .dilation = k2To62}, {x}); }),
            "c: the window span overflows 64 bits: 4611686018427387904 x 2 exceeds 9223372036854775807 (2^63 - 1)");
  EXPECT_EQ(message_of<OverflowError>(
                [&] { g.add_node("c", OpKind::Conv, attr::Conv{.out = 4, .kernel = 3, .pad = kInt64Max}, {x}); }),
            "c: the padded input overflows 64 bits: 9 + 9223372036854775807 exceeds 9223372036854775807 (2^63 - 1)");
}

// Four 1x1 convolutions of 2^10 channels on 2^20 x 2^20: 2^60 MACs and 2^61 FLOPs each.
Graph four_huge_convs(int count) {
  Graph g("huge");
  ValueId v = g.add_input("x", {1, 1024, 1 << 20, 1 << 20});
  for (int i = 1; i <= count; ++i) {
    v = g.add_node("conv" + std::to_string(i), OpKind::Conv, attr::Conv{.out = 1024, .kernel = 1, .bias = false}, {v});
  }
  g.add_output(v);
  return g;
}

TEST(CheckedArithmetic, CostFiguresAreExactUpToInt64AndNamedPastIt) {
  const Analysis three = analyze(four_huge_convs(3));
  EXPECT_EQ(three.total.macs, 3 * (int64_t{1} << 60));
  EXPECT_EQ(three.total.flops, 3 * (int64_t{1} << 61));
  EXPECT_EQ(three.total.activation_bytes, 3 * (int64_t{1} << 52));
  EXPECT_EQ(with_commas(three.total.flops), "6,917,529,027,641,081,856");
  EXPECT_EQ(count_text(three.total.flops), "6.92 E");
  EXPECT_EQ(bytes_text(three.total.activation_bytes), "12.0 PiB");
  // The fourth takes the FLOPs past 2^63 - 1: the node and the figure are named.
  EXPECT_EQ(message_of<OverflowError>([] { analyze(four_huge_convs(4)); }),
            "conv4: total FLOPs overflows 64 bits: 6917529027641081856 + 2305843009213693952 exceeds "
            "9223372036854775807 (2^63 - 1)");
  // One node's own cost past it: 2^10 x 2^40 outputs of 2^12 multiply-adds, 2^62 MACs, are 2^63 FLOPs.
  Graph g("one");
  const ValueId x = g.add_input("x", {1, 4096, 1 << 20, 1 << 20});
  g.add_output(g.add_node("conv", OpKind::Conv, attr::Conv{.out = 1024, .kernel = 1, .bias = false}, {x}));
  EXPECT_EQ(message_of<OverflowError>([&] { node_cost(g, 0); }),
            "conv: FLOPs overflows 64 bits: 2 x 4611686018427387904 exceeds 9223372036854775807 (2^63 - 1)");
}

TEST(CheckedArithmetic, LargeFiguresPrintWithoutWrapping) {
  EXPECT_EQ(with_commas(std::numeric_limits<int64_t>::min()), "-9,223,372,036,854,775,808");
  EXPECT_EQ(with_commas(kInt64Max), "9,223,372,036,854,775,807");
  EXPECT_EQ(bytes_text(kInt64Max), "8.0 EiB");
  EXPECT_EQ(bytes_text(int64_t{5} << 40), "5.0 TiB");
  EXPECT_EQ(count_text(kInt64Max), "9.22 E");
  EXPECT_EQ(count_text(4'100'000'000'000), "4.10 T");
  EXPECT_EQ(count_text(4'100'000'000), "4.10 G");
}

TEST(CheckedArithmetic, ModelDepthAndBatchAreLimited) {
  EXPECT_EQ(
      message_of<InvalidArgument>([] { build_model("resnet56", {.depth = 600002}); }),
      "ModelOptions::depth 600002 is above the maximum 10000 layers (the deepest published CIFAR network has 1,202; "
      "docs/counting.md)");
  EXPECT_EQ(message_of<InvalidArgument>([] { build_model("resnet20", {.batch = k2To62}); }),
            "ModelOptions::batch 4611686018427387904 is above the maximum 2147483647 (2^31 - 1; docs/counting.md)");
  EXPECT_EQ(message_of<InvalidArgument>([] {
              build_model("resnet20", {.input = Dims{3, int64_t{1} << 32, 8}});
            }),
            "ModelOptions::input 3x4294967296x8: dimension 4294967296 is above the maximum 2147483647 (2^31 - 1; "
            "docs/counting.md)");
}

}  // namespace
}  // namespace cnnzoo
