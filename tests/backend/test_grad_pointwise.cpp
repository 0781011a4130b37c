// Finite-difference gradient checks (float64) of the normalisations, activations, joins and the loss.
#include "ref_helpers.h"

namespace cnnzoo::test {
namespace {

using ref::In;
using ref::Out;

TEST(RefGradient, BatchNormTraining) {
  std::mt19937 rng(21);
  for (const Dims& xs : {Dims{3, 4, 3, 2}, Dims{5, 3}}) {
    const attr::BatchNorm a{};
    const int64_t c = xs[1];
    Buf x = random_buf(rng, xs), gamma = random_buf(rng, {c}, 0.5, 1.5), beta = random_buf(rng, {c});
    const Buf r = random_buf(rng, xs);
    const auto loss = [&] {
      Buf y(xs), rm({c}), rv({c}), mean({c}), invstd({c});
      ref::batch_norm_forward_training<double>(a, x.in(), gamma.v, beta.v, rm.v, rv.v, y.out(), mean.v, invstd.v);
      return dot(r.v, y.v);
    };
    Buf y(xs), rm({c}), rv({c}), mean({c}), invstd({c});
    ref::batch_norm_forward_training<double>(a, x.in(), gamma.v, beta.v, rm.v, rv.v, y.out(), mean.v, invstd.v);
    Buf dx(xs), dgamma({c}), dbeta({c});
    ref::batch_norm_backward<double>(x.in(), r.in(), gamma.v, mean.v, invstd.v, dx.out(), dgamma.v, dbeta.v);
    expect_gradient("batchnorm dx", x.v, dx.v, loss);
    expect_gradient("batchnorm dgamma", gamma.v, dgamma.v, loss);
    expect_gradient("batchnorm dbeta", beta.v, dbeta.v, loss);
  }
}

TEST(RefGradient, Lrn) {
  std::mt19937 rng(22);
  // Even and odd sizes (the even window is asymmetric); a large alpha so the window term matters.
  for (const attr::Lrn a : {attr::Lrn{.size = 5, .alpha = 0.5, .beta = 0.75, .k = 2.0},
                            attr::Lrn{.size = 4, .alpha = 1.0, .beta = 0.6, .k = 1.0},
                            attr::Lrn{.size = 1, .alpha = 0.3, .beta = 0.75, .k = 1.0}}) {
    SCOPED_TRACE(testing::Message() << "size " << a.size);
    Buf x = random_buf(rng, {2, 7, 2, 3});
    const Buf r = random_buf(rng, x.shape);
    Buf dx(x.shape);
    ref::lrn_backward<double>(a, x.in(), r.in(), dx.out());
    expect_gradient("lrn dx", x.v, dx.v, [&] {
      Buf y(x.shape);
      ref::lrn_forward<double>(a, x.in(), y.out());
      return dot(r.v, y.v);
    });
  }
}

// ELU's backward goes from its output y; alpha 0 makes it a ReLU, the others curve the negative side.
TEST(RefGradient, Elu) {
  std::mt19937 rng(24);
  for (const double alpha : {0.0, 0.7, 1.0, 2.5}) {
    SCOPED_TRACE(testing::Message() << "alpha " << alpha);
    const attr::Elu a{.alpha = alpha};
    Buf x = away_from_zero(rng, {2, 3, 4});
    const Buf r = random_buf(rng, x.shape);
    Buf y(x.shape), dx(x.shape);
    ref::activation_forward<double>(OpKind::Elu, a, x.v, y.v);
    ref::activation_backward<double>(OpKind::Elu, a, y.v, r.v, dx.v);
    expect_gradient("elu dx", x.v, dx.v, [&] {
      Buf z(x.shape);
      ref::activation_forward<double>(OpKind::Elu, a, x.v, z.v);
      return dot(r.v, z.v);
    });
  }
}

// Scale: dx = factor dy, for a shrinking, a negative and the unit factor.
TEST(RefGradient, Scale) {
  std::mt19937 rng(25);
  for (const double factor : {0.17, -2.0, 1.0}) {
    SCOPED_TRACE(testing::Message() << "factor " << factor);
    const attr::Scale a{.factor = factor};
    Buf x = random_buf(rng, {2, 3, 4});
    const Buf r = random_buf(rng, x.shape);
    Buf y(x.shape), dx(x.shape);
    ref::activation_forward<double>(OpKind::Scale, a, x.v, y.v);
    for (std::size_t i = 0; i < x.v.size(); ++i) EXPECT_EQ(y.v[i], factor * x.v[i]);
    ref::activation_backward<double>(OpKind::Scale, a, y.v, r.v, dx.v);
    expect_gradient("scale dx", x.v, dx.v, [&] {
      Buf z(x.shape);
      ref::activation_forward<double>(OpKind::Scale, a, x.v, z.v);
      return dot(r.v, z.v);
    });
  }
}

// A fixed per-channel affine map: y = scale[c] x + shift[c] exactly, dx = scale[c] dy, and a count of scales or
// shifts other than the channels' is refused.
TEST(RefGradient, ChannelAffine) {
  std::mt19937 rng(26);
  const attr::ChannelAffine a{.scale = {0.5, -2.0, 1.0}, .shift = {0.1, 0.0, -3.0}};
  Buf x = random_buf(rng, {2, 3, 2, 2});
  const Buf r = random_buf(rng, x.shape);
  Buf y(x.shape), dx(x.shape);
  ref::channel_affine_forward<double>(a, x.in(), y.out());
  for (std::size_t i = 0; i < x.v.size(); ++i) {
    const std::size_t c = (i / 4) % 3;
    EXPECT_EQ(y.v[i], a.scale[c] * x.v[i] + a.shift[c]) << i;
  }
  ref::channel_affine_backward<double>(a, r.in(), dx.out());
  expect_gradient("channel_affine dx", x.v, dx.v, [&] {
    Buf z(x.shape);
    ref::channel_affine_forward<double>(a, x.in(), z.out());
    return dot(r.v, z.v);
  });
  const attr::ChannelAffine two{.scale = {1.0, 1.0}, .shift = {0.0, 0.0}};
  EXPECT_THROW(ref::channel_affine_forward<double>(two, x.in(), y.out()), ShapeError);
}

TEST(RefGradient, ReluSigmoidDropout) {
  std::mt19937 rng(23);
  Buf x = away_from_zero(rng, {2, 3, 4});
  const Buf r = random_buf(rng, x.shape);
  Buf dx(x.shape);
  ref::relu_backward<double>(x.v, r.v, dx.v);
  expect_gradient("relu dx", x.v, dx.v, [&] {
    Buf y(x.shape);
    ref::relu_forward<double>(x.v, y.v);
    return dot(r.v, y.v);
  });

  Buf y(x.shape);
  ref::sigmoid_forward<double>(x.v, y.v);
  ref::sigmoid_backward<double>(y.v, r.v, dx.v);
  expect_gradient("sigmoid dx", x.v, dx.v, [&] {
    Buf z(x.shape);
    ref::sigmoid_forward<double>(x.v, z.v);
    return dot(r.v, z.v);
  });

  const attr::Dropout a{.p = 0.3};
  std::vector<uint8_t> mask(x.v.size());
  std::bernoulli_distribution keep(0.7);
  for (auto& m : mask) m = keep(rng) ? 1 : 0;
  ref::dropout_backward<double>(a, mask, r.v, dx.v);
  expect_gradient("dropout dx", x.v, dx.v, [&] {
    Buf z(x.shape);
    ref::dropout_forward<double>(a, x.v, mask, z.v);
    return dot(r.v, z.v);
  });
}

TEST(RefGradient, Softmax) {
  std::mt19937 rng(24);
  // Named, not structured bindings: clang 14 cannot capture those in the lambda below.
  for (const auto& axis_and_shape : {std::pair{int64_t{1}, Dims{2, 5, 2, 3}}, std::pair{int64_t{1}, Dims{3, 6}},
                                     std::pair{int64_t{2}, Dims{2, 3, 4}}}) {
    const int64_t axis = axis_and_shape.first;
    const Dims& shape = axis_and_shape.second;
    const attr::Softmax a{.axis = axis};
    Buf x = random_buf(rng, shape, -2, 2);
    const Buf r = random_buf(rng, shape);
    Buf y(shape), dx(shape);
    ref::softmax_forward<double>(a, x.in(), y.out());
    ref::softmax_backward<double>(a, y.in(), r.in(), dx.out());
    expect_gradient("softmax dx", x.v, dx.v, [&] {
      Buf z(shape);
      ref::softmax_forward<double>(a, x.in(), z.out());
      return dot(r.v, z.v);
    });
  }
}

TEST(RefGradient, ConcatAndAdd) {
  std::mt19937 rng(25);
  std::vector<Buf<double>> xs{random_buf(rng, {2, 1, 3, 2}), random_buf(rng, {2, 3, 3, 2}),
                              random_buf(rng, {2, 2, 3, 2})};
  const Buf r = random_buf(rng, {2, 6, 3, 2});
  const attr::Concat a{};
  std::vector<Buf<double>> dxs;
  for (const auto& x : xs) dxs.emplace_back(x.shape);
  std::vector<Out<double>> douts;
  for (auto& d : dxs) douts.push_back(d.out());
  ref::concat_backward<double>(a, r.in(), douts);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    expect_gradient("concat dx" + std::to_string(i), xs[i].v, dxs[i].v, [&] {
      std::vector<In<double>> ins;
      for (const auto& x : xs) ins.push_back(x.in());
      Buf y(r.shape);
      ref::concat_forward<double>(a, ins, y.out());
      return dot(r.v, y.v);
    });
  }

  std::vector<Buf<double>> terms{random_buf(rng, {2, 3}), random_buf(rng, {2, 3}), random_buf(rng, {2, 3})};
  const Buf s = random_buf(rng, {2, 3});
  std::vector<Buf<double>> dterms(3, Buf<double>({2, 3}));
  std::vector<std::span<double>> dspans;
  for (auto& d : dterms) dspans.emplace_back(d.v);
  ref::add_backward<double>(s.v, dspans);
  for (std::size_t i = 0; i < terms.size(); ++i) {
    expect_gradient("add dx" + std::to_string(i), terms[i].v, dterms[i].v, [&] {
      std::vector<std::span<const double>> ins;
      for (const auto& t : terms) ins.emplace_back(t.v);
      Buf y({2, 3});
      ref::add_forward<double>(ins, y.v);
      return dot(s.v, y.v);
    });
  }
}

TEST(RefGradient, ChannelMulAndPad) {
  std::mt19937 rng(26);
  Buf x = random_buf(rng, {2, 3, 2, 3}), s = random_buf(rng, {2, 3, 1, 1});
  const Buf r = random_buf(rng, x.shape);
  const auto loss = [&] {
    Buf y(x.shape);
    ref::channel_mul_forward<double>(x.in(), s.in(), y.out());
    return dot(r.v, y.v);
  };
  Buf dx(x.shape), ds(s.shape);
  ref::channel_mul_backward<double>(x.in(), s.in(), r.in(), dx.out(), ds.out());
  expect_gradient("channel_mul dx", x.v, dx.v, loss);
  expect_gradient("channel_mul ds", s.v, ds.v, loss);

  const attr::ChannelPad a{.before = 2, .after = 1};
  const Buf rp = random_buf(rng, {2, 6, 2, 3});
  ref::channel_pad_backward<double>(a, rp.in(), dx.out());
  expect_gradient("channel_pad dx", x.v, dx.v, [&] {
    Buf y(rp.shape);
    ref::channel_pad_forward<double>(a, x.in(), y.out());
    return dot(rp.v, y.v);
  });
}

TEST(RefGradient, SoftmaxCrossEntropy) {
  std::mt19937 rng(27);
  const std::vector<int64_t> labels{2, 0, 4};
  for (const double smoothing : {0.0, 0.1}) {
    Buf z = random_buf(rng, {3, 5}, -2, 2);
    Buf dz(z.shape);
    ref::softmax_cross_entropy<double>(z.in(), labels, smoothing, dz.out());
    expect_gradient("cross-entropy dlogits", z.v, dz.v,
                    [&] { return ref::softmax_cross_entropy<double>(z.in(), labels, smoothing, Out<double>{}); });
  }
}

}  // namespace
}  // namespace cnnzoo::test
