// Hand-computed forward cases of the normalisations, activations, joins and the loss (float32).
#include "ref_helpers.h"

namespace cnnzoo::test {
namespace {

using ref::In;
using ref::Out;

TEST(RefForward, BatchNormTrainingUpdatesRunningStats) {
  // One channel, values 1 2 3 6: mean 3, biased variance 14/4, unbiased 14/3.
  const Buf<float> x({2, 1, 1, 2}, {1, 2, 3, 6});
  std::vector<float> gamma{2}, beta{0.5}, rm{0}, rv{1}, mean(1), invstd(1);
  Buf<float> y(x.shape);
  ref::batch_norm_forward_training<float>({}, x.in(), gamma, beta, rm, rv, y.out(), mean, invstd);
  const float s = 1.0f / std::sqrt(3.5f + 1e-5f);
  EXPECT_FLOAT_EQ(mean[0], 3);
  EXPECT_FLOAT_EQ(invstd[0], s);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y.v[i], (x.v[i] - 3) * s * 2 + 0.5f);
  EXPECT_FLOAT_EQ(rm[0], 0.1f * 3);
  EXPECT_FLOAT_EQ(rv[0], 0.9f + 0.1f * 14.0f / 3.0f);
  // Inference uses the running statistics.
  ref::batch_norm_forward_inference<float>({}, x.in(), gamma, beta, rm, rv, y.out());
  for (std::size_t i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y.v[i], (x.v[i] - rm[0]) / std::sqrt(rv[0] + 1e-5f) * 2 + 0.5f);
}

TEST(RefForward, LrnWindowByHand) {
  const Buf<float> x({1, 3, 1, 1}, {1, 2, 3});
  Buf<float> y(x.shape);
  // size 3, alpha/size = 1, beta 1, k 1: windows {0,1}, {0,1,2}, {1,2}.
  ref::lrn_forward<float>({.size = 3, .alpha = 3, .beta = 1, .k = 1}, x.in(), y.out());
  EXPECT_FLOAT_EQ(y.v[0], 1.0f / 6);
  EXPECT_FLOAT_EQ(y.v[1], 2.0f / 15);
  EXPECT_FLOAT_EQ(y.v[2], 3.0f / 14);
  // size 2: PyTorch pads 1 before and 0 after, so the window of c is {c-1, c}.
  ref::lrn_forward<float>({.size = 2, .alpha = 2, .beta = 1, .k = 1}, x.in(), y.out());
  EXPECT_FLOAT_EQ(y.v[0], 1.0f / 2);
  EXPECT_FLOAT_EQ(y.v[1], 2.0f / 6);
  EXPECT_FLOAT_EQ(y.v[2], 3.0f / 14);
  // beta 0.75 and k 2 as AlexNet.
  ref::lrn_forward<float>({.size = 3, .alpha = 3, .beta = 0.75, .k = 2}, x.in(), y.out());
  EXPECT_FLOAT_EQ(y.v[1], 2.0f / std::pow(16.0f, 0.75f));
}

TEST(RefForward, Activations) {
  const std::vector<float> x{-2, 0, 3};
  std::vector<float> y(3), dx(3);
  ref::relu_forward<float>(x, y);
  EXPECT_EQ(y, (std::vector<float>{0, 0, 3}));
  ref::relu_backward<float>(x, std::vector<float>{1, 1, 1}, dx);
  EXPECT_EQ(dx, (std::vector<float>{0, 0, 1}));  // zero at x == 0, as PyTorch
  ref::sigmoid_forward<float>(x, y);
  EXPECT_FLOAT_EQ(y[1], 0.5f);
  EXPECT_FLOAT_EQ(y[2], 1 / (1 + std::exp(-3.0f)));
  const std::vector<uint8_t> mask{1, 0, 1};
  ref::dropout_forward<float>({.p = 0.5}, x, mask, y);
  EXPECT_EQ(y, (std::vector<float>{-4, 0, 6}));
  ref::dropout_backward<float>({.p = 0.75}, mask, std::vector<float>{1, 1, 1}, dx);
  EXPECT_EQ(dx, (std::vector<float>{4, 0, 4}));
}

TEST(RefForward, SoftmaxAlongChannels) {
  // Two samples of three channels over two positions; channel values ln1, ln2, ln3 at position 0.
  const Buf<float> x({1, 3, 2}, {0, 5, std::log(2.0f), 5, std::log(3.0f), 5});
  Buf<float> y(x.shape);
  ref::softmax_forward<float>({.axis = 1}, x.in(), y.out());
  EXPECT_FLOAT_EQ(y.v[0], 1.0f / 6);
  EXPECT_FLOAT_EQ(y.v[2], 2.0f / 6);
  EXPECT_FLOAT_EQ(y.v[4], 3.0f / 6);
  EXPECT_FLOAT_EQ(y.v[1], 1.0f / 3);
  // Large logits do not overflow.
  const Buf<float> big({1, 2}, {1000, 1000});
  Buf<float> p(big.shape);
  ref::softmax_forward<float>({}, big.in(), p.out());
  EXPECT_EQ(p.v, (std::vector<float>{0.5, 0.5}));
}

TEST(RefForward, Linear) {
  const Buf<float> x({1, 2}, {1, 2}), w({3, 2}, {1, 0, 0, 1, 1, 1});
  Buf<float> y({1, 3});
  ref::linear_forward<float>({.out = 3}, x.in(), w.in(), std::vector<float>{0, 1, 2}, y.out());
  EXPECT_EQ(y.v, (std::vector<float>{1, 3, 5}));
  Buf<float> wrong({2, 3});
  EXPECT_THROW(ref::linear_forward<float>({.out = 3}, x.in(), w.in(), std::vector<float>{0, 1, 2}, wrong.out()),
               ShapeError);
}

TEST(RefForward, ConcatAddChannelMulChannelPad) {
  const Buf<float> a({2, 1, 1, 2}, {1, 2, 3, 4}), b({2, 2, 1, 2}, {10, 11, 12, 13, 20, 21, 22, 23});
  Buf<float> y({2, 3, 1, 2});
  const std::vector<In<float>> parts{a.in(), b.in()};
  ref::concat_forward<float>({}, parts, y.out());
  EXPECT_EQ(y.v, (std::vector<float>{1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23}));
  Buf<float> bad({2, 4, 1, 2});
  EXPECT_THROW(ref::concat_forward<float>({}, parts, bad.out()), ShapeError);

  std::vector<float> sum(4);
  const std::vector<std::span<const float>> terms{a.v, a.v, a.v};
  ref::add_forward<float>(terms, sum);
  EXPECT_EQ(sum, (std::vector<float>{3, 6, 9, 12}));

  const Buf<float> s({2, 1, 1, 1}, {2, -1});
  Buf<float> m(a.shape);
  ref::channel_mul_forward<float>(a.in(), s.in(), m.out());
  EXPECT_EQ(m.v, (std::vector<float>{2, 4, -3, -4}));

  Buf<float> padded({2, 4, 1, 2});
  ref::channel_pad_forward<float>({.before = 1, .after = 2}, a.in(), padded.out());
  EXPECT_EQ(padded.v, (std::vector<float>{0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0}));
}

TEST(RefForward, SoftmaxCrossEntropy) {
  // Probabilities 1/4, 3/4; label 1.
  const Buf<float> z({1, 2}, {0, std::log(3.0f)});
  const std::vector<int64_t> label{1};
  Buf<float> dz(z.shape);
  EXPECT_FLOAT_EQ(ref::softmax_cross_entropy<float>(z.in(), label, 0.0, dz.out()), -std::log(0.75f));
  EXPECT_FLOAT_EQ(dz.v[0], 0.25f);
  EXPECT_FLOAT_EQ(dz.v[1], -0.25f);
  // Smoothing 0.1 over two classes: target 0.05, 0.95.
  EXPECT_FLOAT_EQ(ref::softmax_cross_entropy<float>(z.in(), label, 0.1, dz.out()),
                  -(0.05f * std::log(0.25f) + 0.95f * std::log(0.75f)));
  EXPECT_FLOAT_EQ(dz.v[0], 0.25f - 0.05f);
  // Mean over the batch.
  const Buf<float> two({2, 2}, {0, 0, 0, 0});
  EXPECT_FLOAT_EQ(ref::softmax_cross_entropy<float>(two.in(), std::vector<int64_t>{0, 1}, 0.0, Out<float>{}),
                  std::log(2.0f));
  EXPECT_THROW(ref::softmax_cross_entropy<float>(z.in(), std::vector<int64_t>{2}, 0.0, Out<float>{}), ShapeError);
}

}  // namespace
}  // namespace cnnzoo::test
