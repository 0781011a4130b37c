// Each model's own initialisation scheme: the statistics torchvision's constructors give, and the
// table that picks a scheme per model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

struct Moments {
  double mean = 0, std = 0, min = 0, max = 0;
};

Moments moments(const Tensor& t) {
  double sum = 0, sum_sq = 0;
  for (float v : t.f32()) {
    sum += v;
    sum_sq += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(t.numel());
  const auto [lo, hi] = std::ranges::minmax(t.f32());
  return {sum / n, std::sqrt(sum_sq / n - (sum / n) * (sum / n)), lo, hi};
}

bool all_equal(const Tensor& t, float value) {
  return std::ranges::all_of(t.f32(), [&](float v) { return v == value; });
}

void expect_batch_norm_identity(const Parameters& p, const std::string& bn) {
  EXPECT_TRUE(all_equal(p.at(bn + ".weight"), 1.0f)) << bn;
  EXPECT_TRUE(all_equal(p.at(bn + ".bias"), 0.0f)) << bn;
  EXPECT_TRUE(all_equal(p.at(bn + ".running_mean"), 0.0f)) << bn;
  EXPECT_TRUE(all_equal(p.at(bn + ".running_var"), 1.0f)) << bn;
  EXPECT_EQ(p.at(bn + ".num_batches_tracked").i64()[0], 0) << bn;
}

void expect_uniform_bound(const Tensor& t, double bound, const std::string& name) {
  const Moments m = moments(t);
  EXPECT_GE(m.min, -bound) << name;
  EXPECT_LT(m.max, bound) << name;
  EXPECT_GT(m.max, 0.95 * bound) << name;  // the bound is reached, not a tighter one
  EXPECT_LT(m.min, -0.95 * bound) << name;
}

TEST(Schemes, ResnetDrawsConvFromFanOutAndLinearAsPytorch) {
  const Parameters p = init_parameters(build_model("resnet50"), "resnet", 0);
  const Moments conv1 = moments(p.at("conv1.weight"));  // 64 x 3 x 7 x 7: fan_out = 64 * 49
  EXPECT_NEAR(conv1.mean, 0.0, 0.003);
  EXPECT_NEAR(conv1.std / std::sqrt(2.0 / (64 * 49)), 1.0, 0.02);
  const Moments big = moments(p.at("layer4.0.conv2.weight"));  // 512 x 512 x 3 x 3
  EXPECT_NEAR(big.std / std::sqrt(2.0 / (512 * 9)), 1.0, 0.02);
  expect_uniform_bound(p.at("fc.weight"), 1.0 / std::sqrt(2048.0), "fc.weight");
  expect_uniform_bound(p.at("fc.bias"), 1.0 / std::sqrt(2048.0), "fc.bias");
  expect_batch_norm_identity(p, "bn1");
  expect_batch_norm_identity(p, "layer1.0.bn3");  // zero_init_residual is off by default
}

TEST(Schemes, VggDrawsConvFromFanOutLinearFromSmallNormalBiasesZero) {
  const Parameters p = init_parameters(build_model("vgg11_bn", {.num_classes = 10}), "vgg", 0);
  const Moments conv = moments(p.at("features.4.weight"));  // 128 x 64 x 3 x 3
  EXPECT_NEAR(conv.std / std::sqrt(2.0 / (128 * 9)), 1.0, 0.02);
  EXPECT_TRUE(all_equal(p.at("features.4.bias"), 0.0f));
  const Moments fc = moments(p.at("classifier.3.weight"));  // 4096 x 4096
  EXPECT_NEAR(fc.std, 0.01, 0.0002);
  EXPECT_NEAR(fc.mean, 0.0, 0.0001);
  EXPECT_TRUE(all_equal(p.at("classifier.3.bias"), 0.0f));
  expect_batch_norm_identity(p, "features.1");
}

TEST(Schemes, TorchDefaultIsUniformOverSqrtFanIn) {
  const Parameters p = init_parameters(build_model("alexnet", {.num_classes = 10}), "torch_default", 0);
  const double conv = 1.0 / std::sqrt(64.0 * 5 * 5);  // features.3: 192 x 64 x 5 x 5
  expect_uniform_bound(p.at("features.3.weight"), conv, "features.3.weight");
  expect_uniform_bound(p.at("features.3.bias"), conv, "features.3.bias");
  const Moments m = moments(p.at("features.3.weight"));
  EXPECT_NEAR(m.std / (conv / std::sqrt(3.0)), 1.0, 0.02);                               // U(-b, b) has std b / sqrt(3)
  expect_uniform_bound(p.at("classifier.6.weight"), 1.0 / 64.0, "classifier.6.weight");  // fan_in 4096
}

TEST(Schemes, DensenetDrawsConvFromFanInAndZeroesTheClassifierBias) {
  const Parameters p = init_parameters(build_model("densenet121"), "densenet", 0);
  const Moments conv = moments(p.at("features.denseblock4.denselayer1.conv2.weight"));  // 32 x 128 x 3 x 3
  EXPECT_NEAR(conv.std / std::sqrt(2.0 / (128 * 9)), 1.0, 0.02);
  expect_uniform_bound(p.at("classifier.weight"), 1.0 / std::sqrt(1024.0), "classifier.weight");
  EXPECT_TRUE(all_equal(p.at("classifier.bias"), 0.0f));
  expect_batch_norm_identity(p, "features.norm5");
}

TEST(Schemes, GooglenetTruncatesAtPlusMinusTwoAbsolute) {
  const Parameters p = init_parameters(build_model("googlenet"), "googlenet", 0);
  for (const char* name : {"inception4a.branch2.1.conv.weight", "fc.weight"}) {
    const Moments m = moments(p.at(name));
    EXPECT_NEAR(m.std, 0.01, 0.0003) << name;
    // trunc_normal_(std=0.01, a=-2, b=2) bounds the values at +-2 itself, i.e. 200 std: no visible cut.
    EXPECT_GT(m.max, 0.04) << name;
    EXPECT_LE(m.max, 2.0) << name;
    EXPECT_GE(m.min, -2.0) << name;
  }
  expect_uniform_bound(p.at("fc.bias"), 1.0 / std::sqrt(1024.0), "fc.bias");
  expect_batch_norm_identity(p, "conv1.bn");
}

// torchvision's Inception3: trunc_normal_(std=0.1, a=-2, b=2), 20 std: no visible cut either.
TEST(Schemes, InceptionV3DrawsFromTruncatedNormalOfOneTenth) {
  EXPECT_EQ(init_scheme_for("inception_v3"), "inception_v3");
  const Parameters p = init_parameters(build_model("inception_v3"), "inception_v3", 0);
  for (const char* name : {"Mixed_6b.branch7x7_2.conv.weight", "fc.weight"}) {
    const Moments m = moments(p.at(name));
    EXPECT_NEAR(m.std, 0.1, 0.003) << name;
    EXPECT_LE(m.max, 2.0) << name;
    EXPECT_GE(m.min, -2.0) << name;
  }
  expect_uniform_bound(p.at("fc.bias"), 1.0 / std::sqrt(2048.0), "fc.bias");
  expect_batch_norm_identity(p, "Mixed_7c.branch_pool.bn");
  // timm's Inception-v4 and Inception-ResNet-v2 have no init loop: PyTorch's layer defaults.
  EXPECT_EQ(init_scheme_for("inception_v4"), "torch_default");
  EXPECT_EQ(init_scheme_for("inception_resnet_v2"), "torch_default");
}

// Caffe's xavier: U(+-sqrt(3 / fan_in)), a variance of 1 / fan_in; convolution biases 0.2, classifier biases 0.
TEST(Schemes, CaffeGooglenetIsXavierWithConvolutionBiasesOfTwoTenths) {
  const Parameters p = init_parameters(build_model("googlenet_paper"), "caffe_googlenet", 0);
  expect_uniform_bound(p.at("inception4a.branch2.1.weight"), std::sqrt(3.0 / (96 * 9)), "branch2.1");
  expect_uniform_bound(p.at("fc.weight"), std::sqrt(3.0 / 1024), "fc.weight");
  EXPECT_TRUE(all_equal(p.at("inception4a.branch2.1.bias"), 0.2f));
  EXPECT_TRUE(all_equal(p.at("conv1.bias"), 0.2f));
  EXPECT_TRUE(all_equal(p.at("fc.bias"), 0.0f));
}

TEST(Schemes, SameSeedIdenticalOtherSeedDifferent) {
  const Graph g = build_model("densenet_bc100", {.depth = 10});
  for (std::string_view scheme : init_schemes()) {
    const Parameters a = init_parameters(g, scheme, 5), b = init_parameters(g, scheme, 5);
    const Parameters c = init_parameters(g, scheme, 6);
    const auto& w = "features.conv0.weight";
    EXPECT_TRUE(std::ranges::equal(a.at(w).f32(), b.at(w).f32())) << scheme;
    EXPECT_FALSE(std::ranges::equal(a.at(w).f32(), c.at(w).f32())) << scheme;
  }
}

TEST(Schemes, UnknownSchemeListsTheKnownOnes) {
  const Graph g = build_model("resnet20");
  try {
    init_parameters(g, "xavier", 0);
    FAIL() << "expected UnknownNameError";
  } catch (const UnknownNameError& e) {
    EXPECT_NE(std::string(e.what()).find("'xavier'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("torch_default, vgg, resnet, densenet, googlenet"), std::string::npos);
  }
}

TEST(Schemes, EachModelHasTheSchemeOfItsFamily) {
  EXPECT_EQ(init_scheme_for("alexnet"), "torch_default");
  EXPECT_EQ(init_scheme_for("zfnet"), "torch_default");
  EXPECT_EQ(init_scheme_for("vgg19_bn"), "vgg");
  EXPECT_EQ(init_scheme_for("googlenet"), "googlenet");
  EXPECT_EQ(init_scheme_for("googlenet_paper"), "caffe_googlenet");
  EXPECT_EQ(init_scheme_for("resnext50_32x4d"), "resnet");
  EXPECT_EQ(init_scheme_for("se_resnet50"), "resnet");
  EXPECT_EQ(init_scheme_for("wrn28_10"), "resnet");
  EXPECT_EQ(init_scheme_for("resnet20"), "resnet");
  EXPECT_EQ(init_scheme_for("densenet201"), "densenet");
  EXPECT_EQ(init_scheme_for("densenet_bc100"), "resnet");
  EXPECT_THROW(init_scheme_for("lenet"), UnknownNameError);
  for (const ModelInfo& m : list_models()) {
    const std::string_view scheme = init_scheme_for(m.name);
    EXPECT_TRUE(std::ranges::find(init_schemes(), scheme) != init_schemes().end()) << m.name;
  }
}

}  // namespace
}  // namespace cnnzoo
