// Hand-computed cases of the tensor ops that imported graphs use (issue 18), run through
// ref::tensor_op_forward, the one entry the engine's plain steps and the interpreter call.
#include <limits>

#include "ref_helpers.h"

namespace cnnzoo::test {
namespace {

using ref::In;

// Runs `op` on the inputs and returns the output values; the output's shape is the op's shape rule's.
std::vector<float> run(OpKind op, const Attrs& attrs, const std::vector<Buf<float>>& inputs,
                       Dims* out_shape = nullptr) {
  std::vector<In<float>> views;
  std::vector<Dims> shapes;
  for (const auto& b : inputs) {
    views.push_back(b.in());
    shapes.push_back(b.shape);
  }
  Buf<float> y(rule_shape(op, attrs, shapes));
  ref::tensor_op_forward<float>(op, attrs, views, y.out());
  if (out_shape != nullptr) *out_shape = y.shape;
  return y.v;
}

std::vector<float> run_one(OpKind op, const Attrs& attrs, std::vector<float> x) {
  const auto n = static_cast<int64_t>(x.size());
  return run(op, attrs, {Buf<float>({n}, std::move(x))});
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(RefTensorOps, BinaryOpsBroadcast) {
  const Buf<float> a({2, 2}, {1, 2, 3, 4});
  const Buf<float> b({2}, {2, -1});  // broadcast along rows
  EXPECT_EQ(run(OpKind::Sub, attr::None{}, {a, b}), (std::vector<float>{-1, 3, 1, 5}));
  EXPECT_EQ(run(OpKind::Div, attr::None{}, {a, b}), (std::vector<float>{0.5f, -2, 1.5f, -4}));
  EXPECT_EQ(run(OpKind::Pow, attr::None{}, {a, b}), (std::vector<float>{1, 0.5f, 9, 0.25f}));
  EXPECT_EQ(run(OpKind::Min, attr::None{}, {a, b}), (std::vector<float>{1, -1, 2, -1}));
  EXPECT_EQ(run(OpKind::Max, attr::None{}, {a, b}), (std::vector<float>{2, 2, 3, 4}));
  // A column (2x1) against a row (2) makes 2x2.
  Dims shape;
  const auto outer = run(OpKind::Sub, attr::None{}, {Buf<float>({2, 1}, {10, 20}), b}, &shape);
  EXPECT_EQ(shape, (Dims{2, 2}));
  EXPECT_EQ(outer, (std::vector<float>{8, 11, 18, 21}));
}

TEST(RefTensorOps, MinAndMaxKeepNaN) {
  const Buf<float> a({2}, {kNaN, 1});
  const Buf<float> b({2}, {0, kNaN});
  for (OpKind op : {OpKind::Min, OpKind::Max}) {
    const auto y = run(op, attr::None{}, {a, b});
    EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1])) << op_name(op);
  }
}

TEST(RefTensorOps, FunctionsOfOneInput) {
  EXPECT_EQ(run_one(OpKind::Sqrt, attr::None{}, {0, 4, 2.25f}), (std::vector<float>{0, 2, 1.5f}));
  EXPECT_TRUE(std::isnan(run_one(OpKind::Sqrt, attr::None{}, {-1})[0]));
  EXPECT_EQ(run_one(OpKind::Exp, attr::None{}, {0})[0], 1);
  EXPECT_FLOAT_EQ(run_one(OpKind::Exp, attr::None{}, {1})[0], 2.7182818f);
  // erf(1) = 0.8427007929... (Abramowitz and Stegun, table 7.1); erf is odd.
  const auto erf = run_one(OpKind::Erf, attr::None{}, {1, -1, 0});
  EXPECT_FLOAT_EQ(erf[0], 0.84270079f);
  EXPECT_FLOAT_EQ(erf[1], -0.84270079f);
  EXPECT_EQ(erf[2], 0);
  // tanh(1) = 0.7615941559...
  EXPECT_FLOAT_EQ(run_one(OpKind::Tanh, attr::None{}, {1})[0], 0.76159416f);
  EXPECT_EQ(run_one(OpKind::Abs, attr::None{}, {-2, 0, 3}), (std::vector<float>{2, 0, 3}));
  EXPECT_EQ(run_one(OpKind::Neg, attr::None{}, {-2, 3}), (std::vector<float>{2, -3}));
}

TEST(RefTensorOps, HardSigmoidAndHardSwish) {
  // ONNX's defaults (0.2, 0.5): 0 below -2.5, 1 above 2.5, linear between.
  EXPECT_EQ(run_one(OpKind::HardSigmoid, attr::HardSigmoid{}, {-3, -2.5f, 0, 1, 3}),
            (std::vector<float>{0, 0, 0.5f, 0.7f, 1}));
  // PyTorch's nn.Hardsigmoid: alpha 1/6.
  EXPECT_FLOAT_EQ(run_one(OpKind::HardSigmoid, attr::HardSigmoid{1.0 / 6, 0.5}, {1})[0], 4.0f / 6);
  EXPECT_TRUE(std::isnan(run_one(OpKind::HardSigmoid, attr::HardSigmoid{}, {kNaN})[0]));
  // x relu6(x + 3) / 6: 0 at and below -3, x at and above 3.
  const auto y = run_one(OpKind::HardSwish, attr::None{}, {-4, -3, -1, 0, 1, 3, 5});
  EXPECT_EQ(y[0], 0);
  EXPECT_EQ(y[1], 0);
  EXPECT_FLOAT_EQ(y[2], -1.0f / 3);
  EXPECT_EQ(y[3], 0);
  EXPECT_FLOAT_EQ(y[4], 2.0f / 3);
  EXPECT_EQ(y[5], 3);
  EXPECT_EQ(y[6], 5);
}

TEST(RefTensorOps, Reductions) {
  const Buf<float> x({2, 3}, {1, 2, 3, 4, 5, 9});
  Dims shape;
  EXPECT_EQ(run(OpKind::ReduceMean, attr::Reduce{{1}, true}, {x}, &shape), (std::vector<float>{2, 6}));
  EXPECT_EQ(shape, (Dims{2, 1}));
  EXPECT_EQ(run(OpKind::ReduceSum, attr::Reduce{{0}, false}, {x}, &shape), (std::vector<float>{5, 7, 12}));
  EXPECT_EQ(shape, (Dims{3}));
  // No axes: every axis.
  EXPECT_EQ(run(OpKind::ReduceMax, attr::Reduce{{}, false}, {x}, &shape), (std::vector<float>{9}));
  EXPECT_EQ(shape, Dims{});
  EXPECT_EQ(run(OpKind::ReduceMin, attr::Reduce{{0, 1}, true}, {x}, &shape), (std::vector<float>{1}));
  EXPECT_EQ(shape, (Dims{1, 1}));
  // NaN propagates through the maximum and minimum as through the sum.
  const Buf<float> with_nan({3}, {1, kNaN, 2});
  for (OpKind op : {OpKind::ReduceMax, OpKind::ReduceMin, OpKind::ReduceMean}) {
    EXPECT_TRUE(std::isnan(run(op, attr::Reduce{{0}, true}, {with_nan})[0])) << op_name(op);
  }
}

TEST(RefTensorOps, SliceTakesStridedBoxes) {
  // 3x4 holding 0..11.
  Buf<float> x({3, 4});
  for (std::size_t i = 0; i < x.v.size(); ++i) x.v[i] = static_cast<float>(i);
  Dims shape;
  // Rows 0 and 2, columns 1 and 3.
  EXPECT_EQ(run(OpKind::Slice, attr::Slice{{0, 1}, {3, 4}, {2, 2}}, {x}, &shape), (std::vector<float>{1, 3, 9, 11}));
  EXPECT_EQ(shape, (Dims{2, 2}));
  // Rows 2, 1, 0 (an end of -1 is before the first), columns 3 and 1.
  EXPECT_EQ(run(OpKind::Slice, attr::Slice{{2, 3}, {-1, -1}, {-1, -2}}, {x}, &shape),
            (std::vector<float>{11, 9, 7, 5, 3, 1}));
  EXPECT_EQ(shape, (Dims{3, 2}));
  // Past the last element: the start is clamped to the size by the importer, and an end beyond it refused here.
  EXPECT_THROW(run(OpKind::Slice, attr::Slice{{0, 0}, {4, 4}, {1, 1}}, {x}), Error);
}

TEST(RefTensorOps, LayerNormOverTheLastAxis) {
  // Rows (1, 3) and (2, 6): means 2 and 4, biased variances 1 and 4.
  const Buf<float> x({2, 2}, {1, 3, 2, 6});
  const Buf<float> scale({2}, {2, 1});
  const Buf<float> bias({2}, {0.5f, 0});
  const double eps = 1e-3;
  const auto y = run(OpKind::LayerNorm, attr::LayerNorm{1, eps}, {x, scale, bias});
  const double r0 = 1 / std::sqrt(1 + eps), r1 = 1 / std::sqrt(4 + eps);
  EXPECT_FLOAT_EQ(y[0], static_cast<float>(-1 * r0 * 2 + 0.5));
  EXPECT_FLOAT_EQ(y[1], static_cast<float>(1 * r0 * 1));
  EXPECT_FLOAT_EQ(y[2], static_cast<float>(-2 * r1 * 2 + 0.5));
  EXPECT_FLOAT_EQ(y[3], static_cast<float>(2 * r1 * 1));
  // Over both axes (axis 0), without a bias: mean 3, variance 3.5.
  const auto all = run(OpKind::LayerNorm, attr::LayerNorm{0, eps}, {x, Buf<float>({2, 2}, {1, 1, 1, 1})});
  EXPECT_FLOAT_EQ(all[3], static_cast<float>(3 / std::sqrt(3.5 + eps)));
}

TEST(RefTensorOps, PadModes) {
  using Mode = attr::Pad::Mode;
  const Buf<float> x({2, 3}, {1, 2, 3, 4, 5, 6});
  Dims shape;
  // Constant 9: a row above, a column on the right.
  EXPECT_EQ(run(OpKind::Pad, attr::Pad{{1, 0}, {0, 1}, Mode::Constant, 9}, {x}, &shape),
            (std::vector<float>{9, 9, 9, 9, 1, 2, 3, 9, 4, 5, 6, 9}));
  EXPECT_EQ(shape, (Dims{3, 4}));
  // Reflect: the mirror image without the edge, two columns on the left.
  EXPECT_EQ(run(OpKind::Pad, attr::Pad{{0, 2}, {0, 0}, Mode::Reflect, 0}, {x}),
            (std::vector<float>{3, 2, 1, 2, 3, 6, 5, 4, 5, 6}));
  // Edge: copies of the first and last values; a row below.
  EXPECT_EQ(run(OpKind::Pad, attr::Pad{{0, 1}, {1, 1}, Mode::Edge, 0}, {x}),
            (std::vector<float>{1, 1, 2, 3, 3, 4, 4, 5, 6, 6, 4, 4, 5, 6, 6}));
  // Negative amounts crop: the first row and the last column go.
  EXPECT_EQ(run(OpKind::Pad, attr::Pad{{-1, 0}, {0, -1}, Mode::Constant, 0}, {x}, &shape), (std::vector<float>{4, 5}));
  EXPECT_EQ(shape, (Dims{1, 2}));
}

TEST(RefTensorOps, WrongInputsAreRefused) {
  const Buf<float> a({2, 3}, {1, 2, 3, 4, 5, 6});
  Buf<float> y({2, 3});
  const std::vector<In<float>> one{a.in()};
  // Sub needs two inputs; the shape rule says so before any kernel runs.
  EXPECT_THROW(ref::tensor_op_forward<float>(OpKind::Sub, attr::None{}, one, y.out()), Error);
  // A reduction's output shaped as its input is refused.
  EXPECT_THROW(ref::tensor_op_forward<float>(OpKind::ReduceSum, attr::Reduce{{1}, true}, one, y.out()), Error);
  // Attributes of another op.
  EXPECT_THROW(ref::tensor_op_forward<float>(OpKind::Exp, attr::Reduce{}, one, y.out()), Error);
  // Not a tensor op.
  EXPECT_THROW(ref::tensor_op_forward<float>(OpKind::Relu, attr::None{}, one, y.out()), Error);
}

}  // namespace
}  // namespace cnnzoo::test
