// The tensor ops of imported graphs that the engine runs on oneDNN. Mul: oneDNN's binary multiply where one input has
// the output's 4-D shape and the other the same shape (SiLU, x * sigmoid(x), its operands in different layouts after a
// convolution) or one value per sample and channel (a squeeze-and-excitation gate, first or second); the reference
// kernel for other broadcasts. Clip: oneDNN's eltwise clip, with finite and infinite bounds. The functions of one input
// that oneDNN has: its eltwise. LayerNorm: oneDNN's layer normalization. Each agrees with the reference interpreter.
#include <gtest/gtest.h>

#include <cmath>

#include "cnnzoo/graph.h"
#include "cnnzoo/init.h"
#include "engine_oracle.h"

namespace cnnzoo {
namespace {

TEST(ImportedMul, EveryFormAgreesWithTheReference) {
  Graph g("muls");
  const ValueId x = g.add_input("input", {2, 4, 6, 6});
  const ValueId c = g.add_node("conv", OpKind::Conv, attr::Conv{.out = 8, .kernel = 3, .pad = 1}, {x});
  const ValueId sig = g.add_node("sig", OpKind::Sigmoid, attr::None{}, {c});
  const ValueId silu = g.add_node("silu", OpKind::Mul, attr::None{}, {c, sig});
  const ValueId gate = g.add_node("gate", OpKind::GlobalAvgPool, attr::None{}, {silu});
  const ValueId gated = g.add_node("gated", OpKind::Mul, attr::None{}, {silu, gate});
  const ValueId gate_first = g.add_node("gate_first", OpKind::Mul, attr::None{}, {gate, gated});
  // One value per sample and position (N x 1 x H x W): neither form, so the reference kernel.
  const ValueId plane = g.add_node("plane", OpKind::ReduceMean, attr::Reduce{{1}, true}, {x});
  g.add_output(g.add_node("by_plane", OpKind::Mul, attr::None{}, {gate_first, plane}));
  const Parameters p = test_parameters(g, 3);
  const Tensor input = test_uniform("input", g.shape(x), 3, -1, 1);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-6), "");
}

TEST(ImportedClip, FiniteAndInfiniteBoundsAgreeWithTheReference) {
  Graph g("clips");
  const ValueId x = g.add_input("input", {2, 4, 6, 6});
  const ValueId c = g.add_node("conv", OpKind::Conv, attr::Conv{.out = 8, .kernel = 3, .pad = 1}, {x});
  // ReLU6 (MobileNetV2's), then a clip with no upper bound, read twice (so not in place), then one below 0.
  const ValueId relu6 = g.add_node("relu6", OpKind::Clip, attr::Clip{.min = 0, .max = 6}, {c});
  const ValueId floor = g.add_node("floor", OpKind::Clip, attr::Clip{.min = 0.25, .max = INFINITY}, {c});
  const ValueId sum = g.add_node("sum", OpKind::Add, attr::None{}, {relu6, floor, floor});
  g.add_output(g.add_node("ceiling", OpKind::Clip, attr::Clip{.min = -INFINITY, .max = -0.5}, {sum}));
  g.add_output(relu6);
  const Parameters p = test_parameters(g, 5);
  const Tensor input = test_uniform("input", g.shape(x), 5, -4, 4);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-6), "");
}

// Sqrt, Exp, Tanh, Abs, Neg, HardSwish and HardSigmoid as oneDNN's eltwise (HardSigmoid as a linear map, then a
// clip), on a convolution's blocked layout, in place and not; Erf, which oneDNN has only inside gelu_erf, stays on
// the reference kernel.
TEST(ImportedFunctions, OneDnnsEltwiseAgreesWithTheReference) {
  Graph g("functions");
  const ValueId x = g.add_input("input", {2, 4, 6, 6});
  const ValueId c = g.add_node("conv", OpKind::Conv, attr::Conv{.out = 8, .kernel = 3, .pad = 1}, {x});
  const ValueId abs = g.add_node("abs", OpKind::Abs, attr::None{}, {c});
  const ValueId sqrt = g.add_node("sqrt", OpKind::Sqrt, attr::None{}, {abs});
  const ValueId neg = g.add_node("neg", OpKind::Neg, attr::None{}, {sqrt});
  const ValueId exp = g.add_node("exp", OpKind::Exp, attr::None{}, {neg});
  const ValueId tanh = g.add_node("tanh", OpKind::Tanh, attr::None{}, {c});  // c is read twice: not in place
  const ValueId hswish = g.add_node("hswish", OpKind::HardSwish, attr::None{}, {c});
  const ValueId hsig = g.add_node("hsig", OpKind::HardSigmoid, attr::HardSigmoid{.alpha = 0.3, .beta = 0.4}, {tanh});
  const ValueId erf = g.add_node("erf", OpKind::Erf, attr::None{}, {hswish});
  g.add_output(g.add_node("sum", OpKind::Add, attr::None{}, {exp, hsig, erf}));
  g.add_output(hswish);
  const Parameters p = test_parameters(g, 7);
  const Tensor input = test_uniform("input", g.shape(x), 7, -4, 4);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-6), "");
}

// LayerNormalization as oneDNN's layer normalization: over the last dimension (ConvNeXt's, channels last after a
// transpose) and over the last two, with a bias and without, from a convolution's blocked layout.
TEST(ImportedLayerNorm, OneDnnsLayerNormalizationAgreesWithTheReference) {
  Graph g("layer_norms");
  const ValueId x = g.add_input("input", {2, 4, 5, 6});
  const ValueId c = g.add_node("conv", OpKind::Conv, attr::Conv{.out = 8, .kernel = 3, .pad = 1}, {x});
  const ValueId nhwc = g.add_node("nhwc", OpKind::Transpose, attr::Transpose{{0, 2, 3, 1}}, {c});
  const ValueId scale8 = g.add_node("scale8", OpKind::Constant, attr::Constant{.shape = {8}}, {});
  const ValueId bias8 = g.add_node("bias8", OpKind::Constant, attr::Constant{.shape = {8}}, {});
  const ValueId last = g.add_node("last", OpKind::LayerNorm, attr::LayerNorm{3, 1e-6}, {nhwc, scale8, bias8});
  const ValueId scale_hw = g.add_node("scale_hw", OpKind::Constant, attr::Constant{.shape = {5, 6}}, {});
  g.add_output(g.add_node("planes", OpKind::LayerNorm, attr::LayerNorm{2, 1e-5}, {c, scale_hw}));
  g.add_output(last);
  Parameters p;  // test_parameters has no rule for a constant's value: every parameter drawn here
  for (const Node& n : g.nodes()) {
    for (const ParamSpec& spec : n.params) p.emplace(spec.name, test_uniform(spec.name, spec.shape, 9, 0.5, 1.5));
  }
  const Tensor input = test_uniform("input", g.shape(x), 9, -2, 2);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-5), "");
}

}  // namespace
}  // namespace cnnzoo
