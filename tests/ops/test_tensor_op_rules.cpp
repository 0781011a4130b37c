// Shape and cost rules of the general tensor ops that imported graphs use, against hand figures.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/graph.h"

namespace cnnzoo {
namespace {

struct OneNode {
  Graph g{"t"};
  ValueId y = -1;
  NodeCost cost() const { return node_cost(g, 0); }
  const Dims& shape() const { return g.shape(y); }
};

OneNode one(OpKind op, Attrs attrs, std::vector<Dims> inputs) {
  OneNode t;
  std::vector<ValueId> ids;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    ids.push_back(t.g.add_input(fmt::format("x{}", i), inputs[i]));  // GCC 12 warns on "x" + to_string
  t.y = t.g.add_node("n", op, std::move(attrs), std::move(ids));
  return t;
}

std::string error_of(OpKind op, Attrs attrs, std::vector<Dims> inputs) {
  try {
    one(op, std::move(attrs), std::move(inputs));
  } catch (const ShapeError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TensorOpRules, AddAndMulBroadcastAsNumpy) {
  EXPECT_EQ(one(OpKind::Add, attr::None{}, {{3, 4, 5}, {5}}).shape(), (Dims{3, 4, 5}));
  EXPECT_EQ(one(OpKind::Mul, attr::None{}, {{2, 1, 4}, {3, 1}}).shape(), (Dims{2, 3, 4}));
  // One multiplication per output element.
  EXPECT_EQ(one(OpKind::Mul, attr::None{}, {{2, 1, 4}, {3, 1}}).cost().flops, 24);
  EXPECT_EQ(error_of(OpKind::Mul, attr::None{}, {{2, 3}, {4}}), "n: mul cannot broadcast 2x3 with 4 (input 1)");
}

TEST(TensorOpRules, MatMulBroadcastsBatchAndCountsInnerMultiplyAdds) {
  const OneNode m = one(OpKind::MatMul, attr::None{}, {{2, 1, 3, 4}, {5, 4, 6}});
  EXPECT_EQ(m.shape(), (Dims{2, 5, 3, 6}));
  // 2*5*3*6 = 180 outputs, 4 multiply-adds each.
  EXPECT_EQ(m.cost().macs, 720);
  EXPECT_EQ(m.cost().flops, 1440);
  EXPECT_EQ(error_of(OpKind::MatMul, attr::None{}, {{3, 4}, {5, 6}}),
            "n: matmul cannot multiply 3x4 by 5x6: 4 columns against 5 rows");
}

TEST(TensorOpRules, ReshapeTransposeGatherMoveData) {
  EXPECT_EQ(one(OpKind::Reshape, attr::Reshape{{6, 4}}, {{2, 3, 4}}).shape(), (Dims{6, 4}));
  EXPECT_EQ(error_of(OpKind::Reshape, attr::Reshape{{5, 5}}, {{2, 3, 4}}),
            "n: reshape cannot make 2x3x4 (24 elements) into 5x5");
  EXPECT_EQ(one(OpKind::Transpose, attr::Transpose{{2, 0, 1}}, {{2, 3, 4}}).shape(), (Dims{4, 2, 3}));
  EXPECT_EQ(error_of(OpKind::Transpose, attr::Transpose{{0, 0, 1}}, {{2, 3, 4}}),
            "n: transpose permutation (0,0,1) is not one of the input's 3 dimensions");
  // Indices of shape 2x2 replace axis 1.
  EXPECT_EQ(one(OpKind::Gather, attr::Gather{1, {0, 2, 1, 1}, {2, 2}}, {{5, 3, 7}}).shape(), (Dims{5, 2, 2, 7}));
  EXPECT_EQ(error_of(OpKind::Gather, attr::Gather{1, {3}, {1}}, {{5, 3}}),
            "n: gather index 3 is outside [0, 3) on axis 1");
  EXPECT_EQ(one(OpKind::Transpose, attr::Transpose{{1, 0}}, {{2, 3}}).cost().flops, 0);
}

TEST(TensorOpRules, ClipAndConstant) {
  EXPECT_EQ(one(OpKind::Clip, attr::Clip{0, 6}, {{1, 8}}).cost().flops, 16);
  EXPECT_EQ(error_of(OpKind::Clip, attr::Clip{1, 0}, {{1, 8}}), "n: clip needs min <= max, got 1 and 0");
  Graph g("t");
  g.add_node("c", OpKind::Constant, attr::Constant{{2, 3}}, {});
  ASSERT_EQ(g.node(0).params.size(), 1u);
  EXPECT_EQ(g.node(0).params[0].name, "c.value");
  EXPECT_EQ(g.node(0).params[0].kind, ParamKind::Buffer);
  EXPECT_EQ(g.shape(0), (Dims{2, 3}));
}

TEST(TensorOpRules, ArithmeticOfImportedGraphsCountsOnePerOutput) {
  // The binary ops broadcast as Add does and count one operation per output element.
  for (OpKind op : {OpKind::Sub, OpKind::Div, OpKind::Pow, OpKind::Min, OpKind::Max}) {
    const OneNode t = one(op, attr::None{}, {{2, 1, 4}, {3, 1}});
    EXPECT_EQ(t.shape(), (Dims{2, 3, 4})) << op_name(op);
    EXPECT_EQ(t.cost().flops, 24) << op_name(op);
    EXPECT_EQ(t.cost().macs, 0) << op_name(op);
  }
  EXPECT_EQ(error_of(OpKind::Div, attr::None{}, {{2, 3}, {4}}), "n: div cannot broadcast 2x3 with 4 (input 1)");
  for (OpKind op : {OpKind::Sqrt, OpKind::Exp, OpKind::Erf, OpKind::Tanh, OpKind::Abs, OpKind::Neg}) {
    EXPECT_EQ(one(op, attr::None{}, {{2, 5}}).cost().flops, 10) << op_name(op);
  }
  // hardsigmoid: a multiplication, an addition and two comparisons; hardswish one multiplication more.
  EXPECT_EQ(one(OpKind::HardSigmoid, attr::HardSigmoid{}, {{2, 5}}).cost().flops, 40);
  EXPECT_EQ(one(OpKind::HardSwish, attr::None{}, {{2, 5}}).cost().flops, 50);
  EXPECT_EQ(error_of(OpKind::HardSigmoid, attr::HardSigmoid{std::nan(""), 0.5}, {{2}}),
            "n: hardsigmoid needs a finite alpha and beta, got nan and 0.5");
}

TEST(TensorOpRules, ReductionsKeepOrDropTheirAxes) {
  const OneNode mean = one(OpKind::ReduceMean, attr::Reduce{{2, 3}, true}, {{2, 8, 5, 5}});
  EXPECT_EQ(mean.shape(), (Dims{2, 8, 1, 1}));
  // 400 additions and 16 divisions.
  EXPECT_EQ(mean.cost().flops, 416);
  const OneNode sum = one(OpKind::ReduceSum, attr::Reduce{{1}, false}, {{2, 8, 5, 5}});
  EXPECT_EQ(sum.shape(), (Dims{2, 5, 5}));
  EXPECT_EQ(sum.cost().flops, 400);
  EXPECT_EQ(one(OpKind::ReduceMax, attr::Reduce{{}, false}, {{2, 3}}).shape(), Dims{});
  EXPECT_EQ(error_of(OpKind::ReduceMin, attr::Reduce{{1, 1}, true}, {{2, 3}}),
            "n: reduce_min axes (1, 1) must ascend without repeats inside the input's 2 dimensions");
  EXPECT_EQ(error_of(OpKind::ReduceMin, attr::Reduce{{2}, true}, {{2, 3}}),
            "n: reduce_min axes (2) must ascend without repeats inside the input's 2 dimensions");
}

TEST(TensorOpRules, SliceCountsItsStrides) {
  // 10 elements from 1 by 3: 1, 4, 7; backwards from 9 to before 0 by 4: 9, 5, 1.
  EXPECT_EQ(one(OpKind::Slice, attr::Slice{{1, 9}, {10, -1}, {3, -4}}, {{10, 10}}).shape(), (Dims{3, 3}));
  EXPECT_EQ(one(OpKind::Slice, attr::Slice{{0}, {10}, {1}}, {{10}}).cost().flops, 0);
  EXPECT_EQ(error_of(OpKind::Slice, attr::Slice{{0}, {11}, {1}}, {{10}}),
            "n: slice dimension 0 of size 10: start 0, end 11, step 1 are not a slice inside it");
  EXPECT_EQ(error_of(OpKind::Slice, attr::Slice{{5}, {5}, {1}}, {{10}}), "n: slice takes no elements of 10");
  EXPECT_EQ(error_of(OpKind::Slice, attr::Slice{{0}, {10}, {1}}, {{10, 2}}),
            "n: slice needs a start, end and step for each of the input's 2 dimensions, has 1, 1 and 1");
}

TEST(TensorOpRules, LayerNormChecksScaleAndBias) {
  // 7 operations per element with a bias, 6 without.
  EXPECT_EQ(one(OpKind::LayerNorm, attr::LayerNorm{2, 1e-6}, {{2, 3, 4}, {4}, {4}}).cost().flops, 168);
  EXPECT_EQ(one(OpKind::LayerNorm, attr::LayerNorm{1, 1e-6}, {{2, 3, 4}, {3, 4}}).cost().flops, 144);
  EXPECT_EQ(error_of(OpKind::LayerNorm, attr::LayerNorm{1, 1e-6}, {{2, 3, 4}, {4}}),
            "n: layer_norm expects its scale shaped 3x4, the input's dimensions from axis 1; got 4");
  EXPECT_EQ(error_of(OpKind::LayerNorm, attr::LayerNorm{3, 1e-6}, {{2, 3, 4}, {4}}),
            "n: layer_norm axis 3 is outside the input's 3 dimensions");
  EXPECT_EQ(error_of(OpKind::LayerNorm, attr::LayerNorm{2, 0}, {{2, 3, 4}, {4}}),
            "n: layer_norm needs a finite epsilon > 0, got 0");
}

TEST(TensorOpRules, PadChecksItsAmounts) {
  using Mode = attr::Pad::Mode;
  const OneNode p = one(OpKind::Pad, attr::Pad{{0, 0, 1, 2}, {0, 0, 3, -1}, Mode::Edge, 0}, {{1, 2, 5, 5}});
  EXPECT_EQ(p.shape(), (Dims{1, 2, 9, 6}));
  EXPECT_EQ(p.cost().flops, 0);
  EXPECT_EQ(error_of(OpKind::Pad, attr::Pad{{0}, {-3}, Mode::Constant, 0}, {{3}}),
            "n: pad padding dimension 0 of size 3 by 0 and -3 leaves 0; it must be 1..2147483647");
  EXPECT_EQ(error_of(OpKind::Pad, attr::Pad{{3}, {0}, Mode::Reflect, 0}, {{3}}),
            "n: pad reflect padding of dimension 0 by 3 and 0 needs at most 2 (its size - 1)");
  EXPECT_EQ(error_of(OpKind::Pad, attr::Pad{{0}, {0}, Mode::Constant, INFINITY}, {{3}}),
            "n: pad needs a finite value, got inf");
  EXPECT_EQ(error_of(OpKind::Pad, attr::Pad{{0}, {0}, Mode::Constant, 0}, {{3, 3}}),
            "n: pad needs a begin and end for each of the input's 2 dimensions, has 1 and 1");
}

attr::Resize resize_to(Dims sizes, std::vector<double> scales, attr::Resize::Mode mode) {
  attr::Resize a;
  a.sizes = std::move(sizes);
  a.scales = std::move(scales);
  a.mode = mode;
  return a;
}

TEST(TensorOpRules, ResizeTakesItsSizesAndCountsOneMultiplyAddPerNeighbour) {
  using Mode = attr::Resize::Mode;
  const OneNode r = one(OpKind::Resize, resize_to({1, 1, 4, 4}, {1, 1, 2, 2}, Mode::Linear), {{1, 1, 2, 2}});
  EXPECT_EQ(r.shape(), (Dims{1, 1, 4, 4}));
  // Width first: 1x1x2x4 = 8 elements of 2 neighbours; then height: 1x1x4x4 = 16 of 2. N and C stay as they are.
  EXPECT_EQ(r.cost().macs, 8 * 2 + 16 * 2);
  EXPECT_EQ(r.cost().flops, 2 * (8 * 2 + 16 * 2));
  EXPECT_EQ(one(OpKind::Resize, resize_to({1, 1, 4, 4}, {1, 1, 2, 2}, Mode::Cubic), {{1, 1, 2, 2}}).cost().macs,
            8 * 4 + 16 * 4);
  EXPECT_EQ(one(OpKind::Resize, resize_to({1, 1, 4, 4}, {1, 1, 2, 2}, Mode::Nearest), {{1, 1, 2, 2}}).cost().macs, 0);
  // tf_half_pixel_for_nn moves even a dimension of scale 1 by half an element: it counts.
  attr::Resize shifted = resize_to({2, 3}, {1, 1}, Mode::Linear);
  shifted.coordinates = attr::Resize::Coordinates::TfHalfPixelForNn;
  EXPECT_EQ(one(OpKind::Resize, shifted, {{2, 3}}).cost().macs, 6 * 2 + 6 * 2);
  EXPECT_EQ(error_of(OpKind::Resize, resize_to({1, 1, 4}, {1, 1, 2}, Mode::Linear), {{1, 1, 2, 2}}),
            "n: resize needs a size and a scale for each of the input's 4 dimensions, has 3 and 3");
  EXPECT_EQ(error_of(OpKind::Resize, resize_to({1, 0}, {1, 0}, Mode::Linear), {{1, 2}}),
            "n: resize output size 0 of dimension 1 is outside 1..2147483647");
  EXPECT_EQ(error_of(OpKind::Resize, resize_to({1, 4}, {1, NAN}, Mode::Linear), {{1, 2}}),
            "n: resize scale nan of dimension 1 is not a positive number");
  attr::Resize crop = resize_to({1, 4}, {1, 2}, Mode::Linear);
  crop.coordinates = attr::Resize::Coordinates::TfCropAndResize;
  EXPECT_EQ(error_of(OpKind::Resize, crop, {{1, 2}}),
            "n: resize tf_crop_and_resize needs a box (roi) of 2 x 2 values, has 0");
}

TEST(TensorOpRules, DilatedPoolingSpansItsDilatedWindow) {
  // A 3x3 window with dilation 2 spans 5x5: from 7x7, 3x3 outputs; its cost is still 9 elements a window.
  const OneNode p = one(OpKind::MaxPool, attr::Pool{.kernel = 3, .stride = 1, .dilation = 2}, {{1, 1, 7, 7}});
  EXPECT_EQ(p.shape(), (Dims{1, 1, 3, 3}));
  EXPECT_EQ(p.cost().flops, 9 * 8);
  // oneDNN has no backward for it: training is refused, naming the node.
  OneNode trained = one(OpKind::MaxPool, attr::Pool{.kernel = 3, .stride = 1, .dilation = 2}, {{1, 1, 7, 7}});
  trained.g.add_output(trained.y);
  try {
    require_trainable(trained.g);
    ADD_FAILURE() << "a dilated pooling trains";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "n: a dilated pooling window (2) cannot be trained (oneDNN has no backward for it)");
  }
  EXPECT_EQ(error_of(OpKind::MaxPool, attr::Pool{.kernel = 3, .stride = 1, .dilation = 3}, {{1, 1, 6, 6}}),
            "n: maxpool output height would be 0: input height 6 with padding 0+0 is smaller than the kernel span 7");
}

TEST(TensorOpRules, OnlyTheZoosOpsTrain) {
  EXPECT_TRUE(op_trains(OpKind::Conv));
  EXPECT_TRUE(op_trains(OpKind::Softmax));
  EXPECT_FALSE(op_trains(OpKind::MatMul));
  OneNode m = one(OpKind::MatMul, attr::None{}, {{3, 4}, {4, 2}});
  m.g.add_output(m.y);
  try {
    require_trainable(m.g);
    FAIL() << "a matmul graph was accepted for training";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "n: op matmul cannot be trained (training supports the zoo's ops; matmul is inference only)");
  }
  OneNode add = one(OpKind::Add, attr::None{}, {{3, 4}, {4}});
  EXPECT_THROW(require_trainable(add.g), Error);
}

}  // namespace
}  // namespace cnnzoo
