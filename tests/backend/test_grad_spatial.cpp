// Finite-difference gradient checks (float64) of the spatial ops: convolution, pooling, linear.
#include "ref_helpers.h"

namespace cnnzoo::test {
namespace {

using ref::In;

void check_conv(const attr::Conv& a, const Dims& xs, std::mt19937& rng) {
  Buf x = random_buf(rng, xs);
  Buf w = random_buf(rng, {a.out, xs[1] / a.groups, a.kernel.h, a.kernel.w});
  Buf b = random_buf(rng, {a.bias ? a.out : 0});
  const Dims ys = rule_shape(OpKind::Conv, a, {xs});
  const Buf r = random_buf(rng, ys);
  const auto loss = [&] {
    Buf y(ys);
    ref::conv2d_forward<double>(a, x.in(), w.in(), b.v, y.out());
    return dot(r.v, y.v);
  };
  Buf dx(xs), dw(w.shape), db(b.shape);
  ref::conv2d_backward_data<double>(a, r.in(), w.in(), dx.out());
  ref::conv2d_backward_weights<double>(a, x.in(), r.in(), dw.out(), db.v);
  expect_gradient("conv dx", x.v, dx.v, loss);
  expect_gradient("conv dw", w.v, dw.v, loss);
  if (a.bias) expect_gradient("conv dbias", b.v, db.v, loss);
}

TEST(RefGradient, Conv) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int64_t> size(5, 8);
  const std::vector<attr::Conv> configs{
      {.out = 3, .kernel = 3, .stride = 1, .pad = 1},
      {.out = 4, .kernel = 3, .stride = 2, .pad = 1, .bias = false},
      {.out = 4, .kernel = {3, 2}, .stride = {2, 1}, .pad = {1, 0}, .groups = 2},
      {.out = 2, .kernel = 3, .pad = 2, .dilation = 2},
      {.out = 4, .kernel = 3, .stride = 2, .pad = {0, 1}, .dilation = {1, 2}, .groups = 2, .pad_end = Hw{1, 0}},
  };
  for (const auto& a : configs) {
    SCOPED_TRACE(testing::Message() << "groups " << a.groups << " stride " << a.stride.h << " dilation "
                                    << a.dilation.w);
    check_conv(a, {2, 4, size(rng), size(rng)}, rng);
  }
}

const std::vector<attr::Pool> kPools{
    {.kernel = 3, .stride = 2, .pad = 1, .ceil_mode = true},
    {.kernel = 3, .stride = 2, .pad = 1, .ceil_mode = true, .count_include_pad = false},
    {.kernel = 2, .stride = 2},
    {.kernel = {3, 2}, .stride = {1, 2}, .pad = {1, 0}, .ceil_mode = true},
    {.kernel = 3, .stride = 2, .pad = 0, .count_include_pad = false, .pad_end = Hw{1, 1}},
};
// Max pooling also takes dilated windows (average pooling does not: no ONNX opset cnnzoo reads has them).
const attr::Pool kDilatedMaxPools[] = {
    {.kernel = 3, .stride = 1, .dilation = 2},
    {.kernel = {2, 3}, .stride = 2, .pad = 1, .ceil_mode = true, .dilation = {2, 1}},
};

TEST(RefGradient, MaxPool) {
  std::mt19937 rng(12);
  std::uniform_int_distribution<int64_t> size(5, 8);
  std::vector<attr::Pool> pools(std::begin(kPools), std::end(kPools));
  pools.insert(pools.end(), std::begin(kDilatedMaxPools), std::end(kDilatedMaxPools));
  for (const auto& a : pools) {
    SCOPED_TRACE(testing::Message() << "kernel " << a.kernel.h << "x" << a.kernel.w << " ceil " << a.ceil_mode);
    Buf x = distinct_buf(rng, {2, 3, size(rng), size(rng)});
    const Dims ys = rule_shape(OpKind::MaxPool, a, {x.shape});
    const Buf r = random_buf(rng, ys);
    Buf dx(x.shape);
    ref::max_pool2d_backward<double>(a, x.in(), r.in(), dx.out());
    expect_gradient("maxpool dx", x.v, dx.v, [&] {
      Buf y(ys);
      ref::max_pool2d_forward<double>(a, x.in(), y.out());
      return dot(r.v, y.v);
    });
  }
}

TEST(RefGradient, AvgPool) {
  std::mt19937 rng(13);
  std::uniform_int_distribution<int64_t> size(5, 8);
  for (const auto& a : kPools) {
    SCOPED_TRACE(testing::Message() << "kernel " << a.kernel.h << "x" << a.kernel.w << " ceil " << a.ceil_mode
                                    << " count_include_pad " << a.count_include_pad);
    Buf x = random_buf(rng, {2, 3, size(rng), size(rng)});
    const Dims ys = rule_shape(OpKind::AvgPool, a, {x.shape});
    const Buf r = random_buf(rng, ys);
    Buf dx(x.shape);
    ref::avg_pool2d_backward<double>(a, r.in(), dx.out());
    expect_gradient("avgpool dx", x.v, dx.v, [&] {
      Buf y(ys);
      ref::avg_pool2d_forward<double>(a, x.in(), y.out());
      return dot(r.v, y.v);
    });
  }
}

TEST(RefGradient, AdaptiveAndGlobalAvgPool) {
  std::mt19937 rng(14);
  for (const attr::AdaptiveAvgPool a : {attr::AdaptiveAvgPool{{3, 2}}, attr::AdaptiveAvgPool{{6, 6}}}) {
    Buf x = random_buf(rng, {2, 2, 7, 5});
    const Dims ys = rule_shape(OpKind::AdaptiveAvgPool, a, {x.shape});
    const Buf r = random_buf(rng, ys);
    Buf dx(x.shape);
    ref::adaptive_avg_pool2d_backward<double>(a, r.in(), dx.out());
    expect_gradient("adaptive avgpool dx", x.v, dx.v, [&] {
      Buf y(ys);
      ref::adaptive_avg_pool2d_forward<double>(a, x.in(), y.out());
      return dot(r.v, y.v);
    });
  }
  Buf x = random_buf(rng, {2, 3, 4, 5});
  const Buf r = random_buf(rng, {2, 3, 1, 1});
  Buf dx(x.shape);
  ref::global_avg_pool_backward<double>(r.in(), dx.out());
  expect_gradient("global avgpool dx", x.v, dx.v, [&] {
    Buf y(r.shape);
    ref::global_avg_pool_forward<double>(x.in(), y.out());
    return dot(r.v, y.v);
  });
}

TEST(RefGradient, Linear) {
  std::mt19937 rng(15);
  for (const bool bias : {true, false}) {
    const attr::Linear a{.out = 4, .bias = bias};
    Buf x = random_buf(rng, {3, 5}), w = random_buf(rng, {4, 5}), b = random_buf(rng, {bias ? 4 : 0});
    const Buf r = random_buf(rng, {3, 4});
    const auto loss = [&] {
      Buf y({3, 4});
      ref::linear_forward<double>(a, x.in(), w.in(), b.v, y.out());
      return dot(r.v, y.v);
    };
    Buf dx(x.shape), dw(w.shape), db(b.shape);
    ref::linear_backward_data<double>(r.in(), w.in(), dx.out());
    ref::linear_backward_weights<double>(x.in(), r.in(), dw.out(), db.v);
    expect_gradient("linear dx", x.v, dx.v, loss);
    expect_gradient("linear dw", w.v, dw.v, loss);
    if (bias) expect_gradient("linear dbias", b.v, db.v, loss);
  }
}

}  // namespace
}  // namespace cnnzoo::test
