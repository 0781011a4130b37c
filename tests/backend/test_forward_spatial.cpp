// Hand-computed forward cases of convolution and pooling (float32), PyTorch's rules at the edges.
#include "ref_helpers.h"

namespace cnnzoo::test {
namespace {

using ref::In;

// 1x1x4x4 holding 0..15 row-major.
Buf<float> ramp4x4() {
  Buf<float> x({1, 1, 4, 4});
  for (std::size_t i = 0; i < x.v.size(); ++i) x.v[i] = static_cast<float>(i);
  return x;
}

std::vector<float> conv(const attr::Conv& a, const Buf<float>& x, const Buf<float>& w, std::vector<float> bias = {}) {
  Buf<float> y(rule_shape(OpKind::Conv, a, {x.shape}));
  ref::conv2d_forward<float>(a, x.in(), w.in(), bias, y.out());
  return y.v;
}

TEST(RefForward, ConvPaddingStrideBias) {
  const Buf<float> x = ramp4x4();
  const Buf<float> ones({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  const auto y = conv({.out = 1, .kernel = 3, .pad = 1}, x, ones, {1.0f});
  ASSERT_EQ(y.size(), 16u);
  EXPECT_FLOAT_EQ(y[0], 0 + 1 + 4 + 5 + 1);
  EXPECT_FLOAT_EQ(y[5], 0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10 + 1);
  EXPECT_FLOAT_EQ(y[15], 10 + 11 + 14 + 15 + 1);
  const Buf<float> ones2({1, 1, 2, 2}, std::vector<float>(4, 1.0f));
  EXPECT_EQ(conv({.out = 1, .kernel = 2, .stride = 2, .bias = false}, x, ones2), (std::vector<float>{10, 18, 42, 50}));
}

TEST(RefForward, ConvDilationAndAsymmetricPadding) {
  const Buf<float> x = ramp4x4();
  const Buf<float> ones({1, 1, 2, 2}, std::vector<float>(4, 1.0f));
  EXPECT_EQ(conv({.out = 1, .kernel = 2, .dilation = 2, .bias = false}, x, ones), (std::vector<float>{20, 24, 36, 40}));
  // Padding 1 before, 0 after: the windows start at -1.
  EXPECT_EQ(conv({.out = 1, .kernel = 2, .stride = 2, .pad = 1, .bias = false, .pad_end = Hw{0}}, x, ones),
            (std::vector<float>{0, 3, 12, 30}));
}

TEST(RefForward, ConvGroups) {
  const Buf<float> x({1, 2, 1, 2}, {1, 2, 3, 4});
  const Buf<float> w({2, 1, 1, 1}, {2, 3});
  EXPECT_EQ(conv({.out = 2, .groups = 2, .bias = false}, x, w), (std::vector<float>{2, 4, 9, 12}));
  // Groups of two output channels each reading their own input channel.
  const Buf<float> w4({4, 1, 1, 1}, {1, -1, 10, 100});
  EXPECT_EQ(conv({.out = 4, .groups = 2, .bias = false}, x, w4), (std::vector<float>{1, 2, -1, -2, 30, 40, 300, 400}));
}

std::vector<float> pool(OpKind op, const attr::Pool& a, const Buf<float>& x) {
  Buf<float> y(rule_shape(op, a, {x.shape}));
  if (op == OpKind::MaxPool)
    ref::max_pool2d_forward<float>(a, x.in(), y.out());
  else
    ref::avg_pool2d_forward<float>(a, x.in(), y.out());
  return y.v;
}

TEST(RefForward, MaxPoolCeilModeAndNegativePadding) {
  // 4x4, kernel 3, stride 2, padding 1, ceil mode: 3x3 output, the last window holds row/column 3 only.
  EXPECT_EQ(pool(OpKind::MaxPool, {.kernel = 3, .stride = 2, .pad = 1, .ceil_mode = true}, ramp4x4()),
            (std::vector<float>{5, 7, 7, 13, 15, 15, 13, 15, 15}));
  // Padding is -inf, not 0: an all-negative input keeps its values.
  const Buf<float> neg({1, 1, 2, 2}, std::vector<float>(4, -5.0f));
  EXPECT_EQ(pool(OpKind::MaxPool, {.kernel = 3, .stride = 1, .pad = 1}, neg), (std::vector<float>(4, -5.0f)));
}

TEST(RefForward, DilatedMaxPoolReadsEveryOtherElement) {
  // ramp4x4 holds 0..15 row by row. Kernel 2, dilation 2: the window at (0, 0) reads (0, 0), (0, 2), (2, 0) and
  // (2, 2), whose largest is 10.
  EXPECT_EQ(pool(OpKind::MaxPool, {.kernel = 2, .stride = 1, .dilation = 2}, ramp4x4()),
            (std::vector<float>{10, 11, 14, 15}));
  // With padding 1 the first window's elements are rows and columns -1 and 1: only (1, 1), 5, is inside.
  const auto padded = pool(OpKind::MaxPool, {.kernel = 2, .stride = 3, .pad = 1, .dilation = 2}, ramp4x4());
  EXPECT_EQ(padded, (std::vector<float>{5, 6, 9, 10}));
}

TEST(RefForward, MaxPoolBackwardTakesFirstMaximumOnTies) {
  const Buf<float> x({1, 1, 2, 2}, {1, 3, 3, 0});
  const Buf<float> dy({1, 1, 1, 1}, {7});
  Buf<float> dx(x.shape);
  ref::max_pool2d_backward<float>({.kernel = 2}, x.in(), dy.in(), dx.out());
  EXPECT_EQ(dx.v, (std::vector<float>{0, 7, 0, 0}));
}

TEST(RefForward, AvgPoolDivisors) {
  // Ones, 4x4, kernel 3, stride 2, padding 1, ceil mode: windows along an axis start at -1, 1, 3 and cover
  // 2, 3, 1 input elements; counting padding they cover 3, 3 and 2 (the last stops at input + padding).
  const Buf<float> ones({1, 1, 4, 4}, std::vector<float>(16, 1.0f));
  const attr::Pool with{.kernel = 3, .stride = 2, .pad = 1, .ceil_mode = true};
  const std::vector<float> in{2, 3, 1}, padded{3, 3, 2};
  const auto y = pool(OpKind::AvgPool, with, ones);
  ASSERT_EQ(y.size(), 9u);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_FLOAT_EQ(y[i * 3 + j], in[i] * in[j] / (padded[i] * padded[j])) << i << "," << j;
  attr::Pool without = with;
  without.count_include_pad = false;
  EXPECT_EQ(pool(OpKind::AvgPool, without, ones), std::vector<float>(9, 1.0f));
  // Ceil mode without padding: the window past the input is not counted even with count_include_pad.
  EXPECT_EQ(pool(OpKind::AvgPool, {.kernel = 3, .stride = 2, .ceil_mode = true}, ones), std::vector<float>(4, 1.0f));
  // Plain 2x2 averages.
  EXPECT_EQ(pool(OpKind::AvgPool, {.kernel = 2}, ramp4x4()), (std::vector<float>{2.5, 4.5, 10.5, 12.5}));
}

TEST(RefForward, AdaptiveAndGlobalAvgPool) {
  const Buf<float> x({1, 1, 1, 5}, {0, 1, 2, 3, 4});
  Buf<float> y({1, 1, 1, 3});
  // Windows [0,2), [1,4), [3,5).
  ref::adaptive_avg_pool2d_forward<float>({.output = Hw{1, 3}}, x.in(), y.out());
  EXPECT_EQ(y.v, (std::vector<float>{0.5, 2, 3.5}));
  const Buf<float> z({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
  Buf<float> g({1, 2, 1, 1});
  ref::global_avg_pool_forward<float>(z.in(), g.out());
  EXPECT_EQ(g.v, (std::vector<float>{2.5, 25}));
}

TEST(RefForward, ShapeErrorsNameTheBuffer) {
  const Buf<float> x = ramp4x4();
  const Buf<float> w({1, 1, 2, 2});
  Buf<float> y({1, 1, 3, 3});
  try {
    ref::conv2d_forward<float>({.out = 1, .kernel = 3, .bias = false}, x.in(), w.in(), {}, y.out());
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("conv2d_forward: weight should have shape 1x1x3x3, got 1x1x2x2"),
              std::string::npos)
        << e.what();
  }
  Buf<float> wrong({1, 1, 3, 3});
  EXPECT_THROW(ref::max_pool2d_forward<float>({.kernel = 2}, x.in(), wrong.out()), ShapeError);
  EXPECT_THROW(ref::conv2d_forward<float>({.out = 1, .kernel = 2}, x.in(), w.in(), {}, y.out()), ShapeError);
  const Buf<float> short_x({1, 1, 4, 4}, std::vector<float>(3));
  EXPECT_THROW(ref::avg_pool2d_forward<float>({.kernel = 2}, short_x.in(), y.out()), ShapeError);
}

}  // namespace
}  // namespace cnnzoo::test
