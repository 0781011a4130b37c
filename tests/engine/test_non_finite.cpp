// NaN and infinity propagate as they do in PyTorch: ReLU(NaN) = NaN, a max pooling window holding a
// NaN gives NaN, clip keeps NaN (issue 12). The reference kernels do. oneDNN 2.6.3's primitives do not
// everywhere (eltwise ReLU, alone, in place, or as a convolution's post-op, maps NaN to 0; max pooling
// skips a NaN; softmax may leave the row's other entries finite), so the engine runs such inputs on the
// reference interpreter (test_non_finite_pytorch.cpp compares both with PyTorch).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/models.h"
#include "cnnzoo/reference.h"
#include "support/non_finite_compare.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 3;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
const Dims kInput{2, 16, 8, 8};

// The input, with NaN, +inf and -inf at a few places: in the first vector of a row, in the middle
// and in the tail, in both samples.
Tensor poisoned_input() {
  Tensor x = test_uniform("input", kInput, kSeed, -1, 1);
  auto v = x.f32();
  for (std::size_t i : {0UL, 37UL, 300UL, 1023UL, 1500UL}) v[i] = kNaN;
  v[77] = kInf;
  v[1100] = -kInf;
  return x;
}

void expect_propagates(Builder& b) {
  const Graph g = b.finish();
  const Parameters p = test_parameters(g, kSeed);
  const Tensor x = poisoned_input();
  const auto expected = run_reference(g, p, x);
  const auto ours = InferenceEngine(g, p).run(x);
  ASSERT_EQ(ours.size(), expected.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    int nan = 0;
    for (float v : expected[i].f32()) nan += std::isnan(v) ? 1 : 0;
    EXPECT_GT(nan, 0) << "the reference keeps no NaN: the test proves nothing";
    EXPECT_EQ(test::non_finite_mismatch(ours[i], expected[i]), "") << g.value(g.outputs()[i]).name;
  }
}

TEST(NonFinite, ReferenceReluKeepsNaN) {
  const std::vector<float> x{kNaN, -1, 2, -kInf, kInf};
  std::vector<float> y(x.size());
  ref::relu_forward<float>(x, y);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(std::vector<float>(y.begin() + 1, y.end()), (std::vector<float>{0, 2, 0, kInf}));
}

TEST(NonFinite, BatchNormWithFusedRelu) {
  Builder b("bn_relu", kInput);
  b.output(b.relu(b.batch_norm(b.input(), "bn"), "relu"));
  expect_propagates(b);
}

TEST(NonFinite, ReferenceMaxPoolingAndClipKeepNaN) {
  const Dims shape{1, 1, 2, 2};
  Tensor x(shape, std::vector<float>{kNaN, 1, -kInf, 2});
  Tensor y(Dims{1, 1, 1, 1});
  ref::max_pool2d_forward<float>({.kernel = 2}, {x.f32(), shape}, {y.f32(), y.shape()});
  EXPECT_TRUE(std::isnan(y.f32()[0]));
  std::vector<float> clipped(4);
  ref::clip_forward<float>({.min = 0, .max = 6}, x.f32(), clipped);
  EXPECT_TRUE(std::isnan(clipped[0]));
  EXPECT_EQ(std::vector<float>(clipped.begin() + 1, clipped.end()), (std::vector<float>{1, 0, 2}));
}

}  // namespace
}  // namespace cnnzoo
