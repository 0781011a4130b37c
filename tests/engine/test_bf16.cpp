// bf16 inference: bfloat16 activations and weights with float32 accumulation stay close to fp32 on every
// kind of layer (convolutions and their fusions, pooling, LRN, concatenation, the SE gate, fallbacks).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

class Bf16 : public testing::TestWithParam<const char*> {};

TEST_P(Bf16, LogitsStayWithinAFewPercentOfTheRange) {
  const std::string name = GetParam();
  const ModelInfo& info = find_model(name);
  const Graph g = build_model(name, {.batch = 2});
  const Parameters p = init_parameters(g, init_scheme_for(name), 3);
  const Tensor x = test_uniform("input", g.shape(g.inputs()[0]), 3, -1, 1);
  const Tensor want = InferenceEngine(g, p).run(x).at(0);
  const Tensor got = InferenceEngine(g, p, {.precision = Precision::BF16}).run(x).at(0);
  ASSERT_EQ(got.shape(), want.shape());
  const auto [lo, hi] = std::minmax_element(want.f32().begin(), want.f32().end());
  double worst = 0;
  for (std::size_t i = 0; i < want.f32().size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(got.f32()[i] - want.f32()[i])));
  }
  const double relative = worst / (*hi - *lo);
  // bf16 rounds to 8 bits of mantissa (a relative step of 2^-8 = 0.4%): the error is real but bounded.
  EXPECT_GT(worst, 0.0) << name << ": bf16 gave fp32's exact logits; is it running in bf16?";
  EXPECT_LT(relative, 0.03) << name << " (" << info.family << ")";
}

INSTANTIATE_TEST_SUITE_P(Zoo, Bf16,
                         testing::Values("resnet18", "alexnet_paper", "googlenet", "densenet_bc100", "se_resnet18",
                                         "resnet20", "vgg11_bn"),
                         [](const testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace cnnzoo
