// Every model of the zoo that torchvision lacks (the paper and CIFAR variants, which the PyTorch parity
// tests cannot reach) trains: one step at its default input with batch 2, on the deterministic test
// weights, gives a finite loss of the size random weights give, a finite gradient for every trainable
// parameter, and a gradient that reaches the first layer.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 7;

std::vector<std::string> paper_variants() {
  std::vector<std::string> names;
  for (const ModelInfo& m : list_models()) {
    if (!m.torchvision) names.push_back(m.name);
  }
  return names;
}

class PaperVariantTrains : public ::testing::TestWithParam<std::string> {};

TEST_P(PaperVariantTrains, OneStepAtDefaultInput) {
  const std::string& name = GetParam();
  const auto start = std::chrono::steady_clock::now();
  const Graph g = build_model(name, {.batch = 2});
  Parameters parameters = test_parameters(g, kSeed);
  const Tensor x = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  const int64_t classes = g.shape(g.outputs()[0])[1];
  const std::vector<int64_t> labels{3 % classes, 7 % classes};
  TrainingEngine engine(g, parameters, {.dropout = false});
  const double loss = engine.step(x, labels);

  // Random weights give no useful bound on the loss beyond its sign: test_parameters keeps each layer's
  // activations of order one, but a residual stream adds every block's output to it, so the logits and
  // the loss grow with depth -- from near ln(classes) for plain and pre-activation networks to about
  // 8.9 ln(10) for resnet1202 (20.5) -- while a plain net may land below ln(classes).
  const double uniform_loss = std::log(static_cast<double>(classes));
  ASSERT_TRUE(std::isfinite(loss)) << name;
  EXPECT_GT(loss, 0.0) << name;

  const Parameters& gradients = engine.gradients();
  std::string first_weight;
  int64_t trainable = 0;
  for (const Node& node : g.nodes()) {
    for (const ParamSpec& spec : node.params) {
      if (spec.kind != ParamKind::Trainable) continue;
      ++trainable;
      if (first_weight.empty() && spec.name.ends_with(".weight")) first_weight = spec.name;
      ASSERT_TRUE(gradients.contains(spec.name)) << name << ": no gradient for " << spec.name;
      const Tensor& grad = gradients.at(spec.name);
      ASSERT_EQ(grad.shape(), spec.shape) << spec.name;
      int64_t bad = 0;
      for (const float v : grad.f32()) bad += std::isfinite(v) ? 0 : 1;
      EXPECT_EQ(bad, 0) << name << ": " << bad << " non-finite entries in the gradient of " << spec.name;
    }
  }
  EXPECT_EQ(static_cast<int64_t>(gradients.size()), trainable) << name;
  ASSERT_FALSE(first_weight.empty()) << name;
  double first_norm = 0;
  for (const float v : gradients.at(first_weight).f32()) first_norm += static_cast<double>(v) * v;
  EXPECT_GT(first_norm, 0.0) << name << ": the gradient of " << first_weight << " is all zeros";

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[    train ] %-18s loss %.4f (ln %lld = %.4f), |grad %s| %.3g, %.2f s\n", name.c_str(), loss,
              static_cast<long long>(classes), uniform_loss, first_weight.c_str(), std::sqrt(first_norm), seconds);
}

INSTANTIATE_TEST_SUITE_P(Zoo, PaperVariantTrains, ::testing::ValuesIn(paper_variants()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cnnzoo
