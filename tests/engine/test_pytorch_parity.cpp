// Parity with PyTorch: every torchvision-compatible zoo model, and Inception-v4 and Inception-ResNet-v2 against
// their PyTorch definition from the paper (scripts/inception_paper_models.py), with the deterministic test
// weights (random weights, randomised BN statistics) and a random batch of 2 at the model's default input
// (224x224, 299x299 for the Inceptions), gives in eval mode the logits PyTorch gives, within 1e-4 of their range.
//
// No weights are committed: scripts/pytorch_parity.py fills the torchvision model with
// cnnzoo_rng.test_state_dict(model, seed), bit-identical to test_parameters(graph, seed) here, runs it
// in float64 and stores only the logits (tests/data/parity/<model>.json). Rerun it with
//     /usr/bin/python3 scripts/pytorch_parity.py
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"
#include "engine/parity_support.h"

namespace cnnzoo {
namespace {

using parity::kSeed;
constexpr double kTolerance = 1e-4;  // of the range of PyTorch's logits

nlohmann::json load_fixture(const std::string& model) {
  return parity::load_fixture("parity", model, "scripts/pytorch_parity.py");
}

// The fixture `name` against zoo model `model` built with `options` (batch 2).
void expect_eval_logits_match(const std::string& name, const std::string& model, ModelOptions options) {
  const nlohmann::json fixture = load_fixture(name);
  ASSERT_EQ(fixture.at("model").get<std::string>(), name);
  ASSERT_EQ(fixture.at("seed").get<uint64_t>(), kSeed) << "fixture made with another seed";
  const Dims input_shape = fixture.at("input").get<Dims>();
  const Dims& input = find_model(model).default_input;
  ASSERT_EQ(input_shape, (Dims{2, input[0], input[1], input[2]}));
  const auto torch = fixture.at("logits").get<std::vector<double>>();

  options.batch = 2;
  const Graph g = build_model(model, options);
  const Tensor x = test_uniform("input", input_shape, kSeed, -1, 1);
  const std::vector<Tensor> outputs = InferenceEngine(g, test_parameters(g, kSeed)).run(x);
  ASSERT_FALSE(outputs.empty());
  ASSERT_EQ(outputs[0].shape(), (Dims{2, 1000}));
  const auto ours = outputs[0].f32();
  ASSERT_EQ(ours.size(), torch.size());

  const auto [lo, hi] = std::minmax_element(torch.begin(), torch.end());
  const double range = *hi - *lo;
  ASSERT_GT(range, 0.0);
  std::size_t worst = 0;
  double worst_error = -1;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const double error = std::abs(static_cast<double>(ours[i]) - torch[i]);
    if (!(error <= worst_error)) {  // also catches NaN
      worst = i;
      worst_error = error;
    }
  }
  const double tolerance = kTolerance * range;
  EXPECT_LE(worst_error, tolerance) << name << ": worst logit [" << worst / 1000 << ", " << worst % 1000 << "] ours "
                                    << ours[worst] << " torch " << torch[worst] << ", |error| " << worst_error << " = "
                                    << worst_error / range << " of the range " << range << " (allowed " << kTolerance
                                    << ")";
  char relative[32];
  std::snprintf(relative, sizeof relative, "%.3g", worst_error / range);
  ::testing::Test::RecordProperty("relative_error", relative);

  // The predicted class agrees per row (a near-tie within the tolerance may go either way).
  for (std::size_t row = 0; row < 2; ++row) {
    const auto* t = torch.data() + row * 1000;
    const auto* o = ours.data() + row * 1000;
    const std::size_t torch_top = std::max_element(t, t + 1000) - t;
    const std::size_t our_top = std::max_element(o, o + 1000) - o;
    EXPECT_TRUE(our_top == torch_top || t[our_top] >= t[torch_top] - tolerance)
        << name << " row " << row << ": argmax " << our_top << " (torch logit " << t[our_top] << "), torch's "
        << torch_top << " (" << t[torch_top] << ")";
  }
}

class PyTorchParity : public ::testing::TestWithParam<std::string> {};

TEST_P(PyTorchParity, EvalLogitsMatch) { expect_eval_logits_match(GetParam(), GetParam(), {}); }

INSTANTIATE_TEST_SUITE_P(Zoo, PyTorchParity, ::testing::ValuesIn(parity::eval_parity_models()),
                         [](const auto& info) { return info.param; });

// torchvision's transform_input (VARIANTS in the script): the same weights, input normalised by ImageNet's mean and
// std mapped to (x - 0.5) / 0.5 first.
TEST(PyTorchParityVariants, GoogLeNetTransformInput) {
  expect_eval_logits_match("googlenet_transform_input", "googlenet", {.transform_input = true});
}

TEST(PyTorchParityVariants, InceptionV3TransformInput) {
  expect_eval_logits_match("inception_v3_transform_input", "inception_v3", {.transform_input = true});
}

}  // namespace
}  // namespace cnnzoo
