// The parity-test fill: values pinned from the Python twin on torchvision's resnet18, so the two sides
// classify and fill parameters alike, and the ranges of each rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

TEST(TestParameters, MatchThePythonTwinOnResnet18) {
  // From /usr/bin/python3 scripts/cnnzoo_rng.py: test_state_dict(torchvision.models.resnet18(), 7).
  const Parameters p = test_parameters(build_model("resnet18"), 7);
  EXPECT_EQ(p.at("conv1.weight").f32()[0], 0.00287420419f);
  EXPECT_EQ(p.at("conv1.weight").f32()[1], -0.0214717221f);
  EXPECT_EQ(p.at("bn1.running_var").f32()[3], 0.805911958f);
  EXPECT_EQ(p.at("fc.bias").f32()[5], -0.0209243055f);
  EXPECT_EQ(p.at("layer4.1.bn2.weight").f32()[511], 0.840654731f);
}

void expect_within(const Tensor& t, double low, double high, const std::string& name) {
  const auto [lo, hi] = std::ranges::minmax(t.f32());
  EXPECT_GE(lo, static_cast<float>(low)) << name;
  EXPECT_LT(hi, static_cast<float>(high)) << name;
  // Wide enough tensors reach near both ends of their range.
  if (t.numel() >= 1000) {
    EXPECT_LT(lo, static_cast<float>(low + 0.01 * (high - low))) << name;
    EXPECT_GT(hi, static_cast<float>(high - 0.01 * (high - low))) << name;
  }
}

TEST(TestParameters, FollowTheirRules) {
  const Parameters p = test_parameters(build_model("vgg11_bn", {.input = Dims{3, 32, 32}}), 3);
  const double conv0 = std::sqrt(3.0 / 27.0);  // 3 channels x 3 x 3
  expect_within(p.at("features.0.weight"), -conv0, conv0, "features.0.weight");
  expect_within(p.at("features.0.bias"), -0.1, 0.1, "features.0.bias");
  const double fc0 = std::sqrt(3.0 / (512.0 * 7 * 7));
  expect_within(p.at("classifier.0.weight"), -fc0, fc0, "classifier.0.weight");
  expect_within(p.at("features.1.weight"), 0.5, 1.5, "features.1.weight");
  expect_within(p.at("features.1.bias"), -0.2, 0.2, "features.1.bias");
  expect_within(p.at("features.1.running_mean"), -0.2, 0.2, "features.1.running_mean");
  expect_within(p.at("features.1.running_var"), 0.5, 1.5, "features.1.running_var");
  const Tensor& count = p.at("features.1.num_batches_tracked");
  EXPECT_EQ(count.dtype(), DType::I64);
  EXPECT_EQ(count.i64()[0], 0);
}

TEST(TestParameters, WeightVarianceIsOneOverFanIn) {
  const Parameters p = test_parameters(build_model("resnet50"), 11);
  const Tensor& w = p.at("layer3.0.conv2.weight");  // 256 x 256 x 3 x 3
  double sum_sq = 0;
  for (float v : w.f32()) sum_sq += static_cast<double>(v) * v;
  EXPECT_NEAR(sum_sq / static_cast<double>(w.numel()) * (256.0 * 9), 1.0, 0.02);
}

TEST(TestParameters, SameSeedSameValuesOtherSeedOthers) {
  const Graph g = build_model("resnet20");
  const Parameters a = test_parameters(g, 1), b = test_parameters(g, 1), c = test_parameters(g, 2);
  const auto equal = [](const Tensor& x, const Tensor& y) { return std::ranges::equal(x.f32(), y.f32()); };
  EXPECT_TRUE(equal(a.at("conv1.weight"), b.at("conv1.weight")));
  EXPECT_FALSE(equal(a.at("conv1.weight"), c.at("conv1.weight")));
  EXPECT_FALSE(equal(a.at("layer1.0.conv1.weight"), a.at("layer1.0.conv2.weight")));
}

}  // namespace
}  // namespace cnnzoo
