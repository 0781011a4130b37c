// The tensor ops of imported graphs that the engine runs on oneDNN, each against the reference interpreter:
// - Add (broadcast), Sub, Mul and Div: oneDNN's binary where the first operand (either, for add and mul) has the
//   output's shape; the reference kernel for a broadcast first operand of sub or div and for broadcasts oneDNN's
//   vector code lacks. Pow by a constant 0.5, 1, 2 or 3: eltwise pow.
// - MatMul: oneDNN's matmul, with a constant right operand reordered once, and broadcast batch dimensions.
// - Transpose and Slice (unit steps): reorders; ReduceMean and ReduceSum: its reduction.
// - GELU written out as exporters write it: one eltwise gelu_erf.
// - Clip: eltwise clip, with finite and infinite bounds; the functions of one input that oneDNN has: its eltwise;
//   LayerNorm: its layer normalization.
// PlanStats::plain_steps counts the steps left on the reference kernels, so each test also pins what runs where.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>
#include <string>
#include <vector>

#include "backend/onednn/compiler.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/graph.h"
#include "cnnzoo/init.h"
#include "engine_oracle.h"

namespace cnnzoo {
namespace {

// A scalar constant node of value `value`, recorded in `values` under its parameter's name.
ValueId scalar(Graph& g, const std::string& name, float value, std::map<std::string, float>& values) {
  const ValueId v = g.add_node(name, OpKind::Constant, attr::Constant{.shape = {}}, {});
  values[g.node(g.value(v).producer).params.at(0).name] = value;
  return v;
}

// Parameters drawn for every node (uniform in [low, high)), the scalar constants set to their values.
Parameters drawn_parameters(const Graph& g, uint64_t seed, double low, double high,
                            const std::map<std::string, float>& values = {}) {
  Parameters p;
  for (const Node& n : g.nodes()) {
    for (const ParamSpec& spec : n.params) p.emplace(spec.name, test_uniform(spec.name, spec.shape, seed, low, high));
  }
  for (const auto& [name, value] : values) p.at(name) = Tensor(Dims{}, std::vector<float>{value});
  return p;
}

// The engine's count of steps left on the reference kernels for graph `g`.
int64_t plain_steps(const Graph& g, const Parameters& p) { return InferenceEngine(g, p).stats().plain_steps; }

TEST(ImportedBinary, SubMulDivAddAndPowAgreeWithTheReference) {
  Graph g("binaries");
  std::map<std::string, float> values;
  const ValueId x = g.add_input("input", {2, 4, 5, 6});
  const ValueId c = g.add_node("conv", OpKind::Conv, attr::Conv{.out = 8, .kernel = 3, .pad = 1}, {x});
  const ValueId gate = g.add_node("gate", OpKind::GlobalAvgPool, attr::None{}, {c});
  const ValueId minus_gate = g.add_node("minus_gate", OpKind::Sub, attr::None{}, {c, gate});
  const ValueId over_gate = g.add_node("over_gate", OpKind::Div, attr::None{}, {minus_gate, gate});
  const ValueId nhwc = g.add_node("nhwc", OpKind::Transpose, attr::Transpose{{0, 2, 3, 1}}, {over_gate});
  const ValueId bias = g.add_node("bias", OpKind::Constant, attr::Constant{.shape = {8}}, {});
  const ValueId biased = g.add_node("biased", OpKind::Add, attr::None{}, {bias, nhwc});  // the broadcast one first
  const ValueId scaled = g.add_node("scaled", OpKind::Mul, attr::None{}, {biased, bias});
  const ValueId squared = g.add_node("squared", OpKind::Pow, attr::None{}, {scaled, scalar(g, "two", 2, values)});
  const ValueId cubed = g.add_node("cubed", OpKind::Pow, attr::None{}, {scaled, scalar(g, "three", 3, values)});
  const ValueId root = g.add_node("root", OpKind::Pow, attr::None{}, {squared, scalar(g, "half", 0.5f, values)});
  const ValueId difference = g.add_node("difference", OpKind::Sub, attr::None{}, {cubed, root});
  g.add_output(g.add_node("ratio", OpKind::Div, attr::None{}, {difference, squared}));
  const Parameters p = drawn_parameters(g, 11, 0.5, 1.5, values);
  const Tensor input = test_uniform("input", g.shape(x), 11, -2, 2);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-5), "");
  EXPECT_EQ(plain_steps(g, p), 0);
}

// What oneDNN's binary does not take runs on the reference kernel, still right: a broadcast first operand of sub and
// div, a broadcast over the last dimension (oneDNN 2.6's vector code lacks it), Pow by another exponent or by a value
// that varies, Min and Max (the reference keeps NaN).
TEST(ImportedBinary, WhatOneDnnDoesNotTakeAgreesWithTheReference) {
  Graph g("binary_fallbacks");
  std::map<std::string, float> values;
  const ValueId x = g.add_input("input", {2, 5, 6, 4});
  const ValueId mean = g.add_node("mean", OpKind::ReduceMean, attr::Reduce{{3}, true}, {x});
  const ValueId centred = g.add_node("centred", OpKind::Sub, attr::None{}, {x, mean});      // over the last dim
  const ValueId from_mean = g.add_node("from_mean", OpKind::Sub, attr::None{}, {mean, x});  // broadcast first
  const ValueId quotient = g.add_node("quotient", OpKind::Div, attr::None{}, {mean, centred});
  const ValueId power = g.add_node("power", OpKind::Pow, attr::None{}, {x, scalar(g, "e", 1.7f, values)});
  const ValueId power_of = g.add_node("power_of", OpKind::Pow, attr::None{}, {power, from_mean});
  const ValueId low = g.add_node("low", OpKind::Min, attr::None{}, {quotient, power_of});
  g.add_output(g.add_node("high", OpKind::Max, attr::None{}, {low, from_mean}));
  const Parameters p = drawn_parameters(g, 13, 0.5, 1.5, values);
  const Tensor input = test_uniform("input", g.shape(x), 13, 0.1, 2);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-5), "");
  EXPECT_EQ(plain_steps(g, p), 7);  // every node but the reduction
}

// ConvNeXt's pointwise layers (a constant matrix on channels last, then the Add of a bias: one matmul), and a product
// of two values whose batch dimensions broadcast.
TEST(ImportedMatMul, OneDnnsMatmulAgreesWithTheReference) {
  Graph g("matmuls");
  const ValueId x = g.add_input("input", {2, 4, 5, 6});
  const ValueId c = g.add_node("conv", OpKind::Conv, attr::Conv{.out = 8, .kernel = 3, .pad = 1}, {x});
  const ValueId nhwc = g.add_node("nhwc", OpKind::Transpose, attr::Transpose{{0, 2, 3, 1}}, {c});
  const ValueId w = g.add_node("w", OpKind::Constant, attr::Constant{.shape = {8, 12}}, {});
  const ValueId product = g.add_node("product", OpKind::MatMul, attr::None{}, {nhwc, w});  // 2 x 5 x 6 x 12
  const ValueId bias = g.add_node("bias", OpKind::Constant, attr::Constant{.shape = {1, 12}}, {});
  const ValueId wide = g.add_node("wide", OpKind::Add, attr::None{}, {bias, product});
  const ValueId columns = g.add_node("columns", OpKind::Transpose, attr::Transpose{{0, 1, 3, 2}}, {wide});
  const ValueId first = g.add_node("first", OpKind::Slice, attr::Slice{{0, 0, 0, 0}, {2, 1, 12, 6}, {1, 1, 1, 1}},
                                   {columns});                                                   // 2 x 1 x 12 x 6
  const ValueId products = g.add_node("products", OpKind::MatMul, attr::None{}, {wide, first});  // 2 x 5 x 6 x 6
  const ValueId row = g.add_node("row", OpKind::Constant, attr::Constant{.shape = {5, 6, 6}}, {});
  g.add_output(g.add_node("plus_row", OpKind::Add, attr::None{}, {products, row}));  // no bias over columns
  const Parameters p = drawn_parameters(g, 15, -1, 1);
  const Tensor input = test_uniform("input", g.shape(x), 15, -1, 1);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-5), "");
  EXPECT_EQ(plain_steps(g, p), 0);
  // The first product and its bias are one matmul; the second's Add is of another shape.
  const onednn::Fusions f = onednn::plan_inference_fusions(g, p);
  ASSERT_EQ(f.matmul_bias.size(), 1u);
  EXPECT_EQ(f.matmul_bias.at(g.value(wide).producer), g.value(product).producer);
}

// A transpose from a convolution's blocked layout and of a plain value, slices of channels and of a window (unit
// steps on oneDNN, a step of 2 on the reference kernel), and reductions with and without the reduced dimensions; a
// scalar's reduction and transpose (of no dimension) on the reference kernel.
TEST(ImportedDataMovement, TransposeSliceAndReductionsAgreeWithTheReference) {
  Graph g("movements");
  const ValueId x = g.add_input("input", {2, 4, 5, 6});
  const ValueId c = g.add_node("conv", OpKind::Conv, attr::Conv{.out = 10, .kernel = 3, .pad = 1}, {x});
  const ValueId upper = g.add_node("upper", OpKind::Slice, attr::Slice{{0, 5, 0, 0}, {2, 10, 5, 6}, {1, 1, 1, 1}}, {c});
  const ValueId window = g.add_node("window", OpKind::Slice, attr::Slice{{1, 0, 1, 2}, {2, 5, 4, 6}, {1, 1, 1, 1}},
                                    {upper});  // 1 x 5 x 3 x 4
  const ValueId every_other =
      g.add_node("every_other", OpKind::Slice, attr::Slice{{0, 0, 0, 0}, {2, 10, 5, 6}, {1, 2, 1, 1}}, {c});
  const ValueId shuffled = g.add_node("shuffled", OpKind::Transpose, attr::Transpose{{2, 0, 3, 1}}, {every_other});
  const ValueId turned = g.add_node("turned", OpKind::Transpose, attr::Transpose{{3, 1, 2, 0}}, {window});
  g.add_output(g.add_node("mean", OpKind::ReduceMean, attr::Reduce{{3}, false}, {shuffled}));
  g.add_output(g.add_node("sum", OpKind::ReduceSum, attr::Reduce{{1, 2}, true}, {turned}));
  g.add_output(g.add_node("total", OpKind::ReduceSum, attr::Reduce{{}, true}, {c}));
  const ValueId scalar_total = g.add_node("scalar_total", OpKind::ReduceSum, attr::Reduce{{}, false}, {c});
  g.add_output(g.add_node("scalar_turned", OpKind::Transpose, attr::Transpose{{}}, {scalar_total}));
  const Parameters p = test_parameters(g, 17);
  const Tensor input = test_uniform("input", g.shape(x), 17, -1, 1);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-5), "");
  EXPECT_EQ(plain_steps(g, p), 3);  // the slice with a step of 2, the scalar's reduction and transpose
}

// GELU as torch.onnx writes it (x / sqrt 2, erf, + 1, times x, times 0.5: a Scale once imported), and with the
// scaling by 1 / sqrt 2 and the halving as Mul nodes: each one eltwise gelu_erf. The same chain with + 2 is no GELU
// and keeps its five steps, erf on the reference kernel.
TEST(ImportedGelu, WrittenOutGeluIsOneEltwiseAndAgreesWithTheReference) {
  Graph g("gelus");
  std::map<std::string, float> values;
  const ValueId x = g.add_input("input", {2, 4, 5, 6});
  const ValueId c = g.add_node("conv", OpKind::Conv, attr::Conv{.out = 8, .kernel = 3, .pad = 1}, {x});
  const auto gelu = [&](const std::string& name, ValueId in, bool as_mul, float one) {
    const ValueId scaled =
        as_mul ? g.add_node(name + ".scaled", OpKind::Mul, attr::None{},
                            {in, scalar(g, name + ".inverse_root2", 1 / std::numbers::sqrt2_v<float>, values)})
               : g.add_node(name + ".scaled", OpKind::Div, attr::None{},
                            {in, scalar(g, name + ".root2", std::numbers::sqrt2_v<float>, values)});
    const ValueId erf = g.add_node(name + ".erf", OpKind::Erf, attr::None{}, {scaled});
    const ValueId plus =
        g.add_node(name + ".plus", OpKind::Add, attr::None{}, {scalar(g, name + ".one", one, values), erf});
    const ValueId times = g.add_node(name + ".times", OpKind::Mul, attr::None{}, {plus, in});
    return as_mul ? g.add_node(name + ".half", OpKind::Mul, attr::None{}, {times, scalar(g, name + ".h", 0.5f, values)})
                  : g.add_node(name + ".half", OpKind::Scale, attr::Scale{0.5}, {times});
  };
  const ValueId torch_form = gelu("torch", c, false, 1);
  const ValueId mul_form = gelu("muls", torch_form, true, 1);
  const ValueId not_gelu = gelu("plus_two", c, false, 2);
  g.add_output(g.add_node("sum", OpKind::Add, attr::None{}, {mul_form, not_gelu}));
  g.add_output(torch_form);
  const Parameters p = drawn_parameters(g, 19, -0.5, 0.5, values);
  const Tensor input = test_uniform("input", g.shape(x), 19, -2, 2);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-5), "");
  const onednn::Fusions f = onednn::plan_inference_fusions(g, p);
  EXPECT_EQ(f.gelu.size(), 2u);
  EXPECT_TRUE(f.gelu.contains(g.value(torch_form).producer));
  EXPECT_TRUE(f.gelu.contains(g.value(mul_form).producer));
  EXPECT_EQ(plain_steps(g, p), 1);  // plus_two's erf
}

// Layer normalization as torch.onnx writes F.layer_norm before opset 17 (ConvNeXt's): over the last dimension with a
// scale and a bias, and over the last two without. Each is one oneDNN layer normalization. Over a dimension that is
// not the last it is no layer norm here and runs node by node, still on oneDNN.
TEST(ImportedLayerNorm, WrittenOutLayerNormIsOnePrimitiveAndAgreesWithTheReference) {
  Graph g("written_layer_norms");
  std::map<std::string, float> values;
  const ValueId x = g.add_input("input", {2, 4, 5, 6});
  const ValueId c = g.add_node("conv", OpKind::Conv, attr::Conv{.out = 8, .kernel = 3, .pad = 1}, {x});
  const ValueId nhwc = g.add_node("nhwc", OpKind::Transpose, attr::Transpose{{0, 2, 3, 1}}, {c});
  const auto norm = [&](const std::string& name, ValueId in, std::vector<int64_t> axes) {
    const ValueId mean = g.add_node(name + ".mean", OpKind::ReduceMean, attr::Reduce{axes, true}, {in});
    const ValueId d = g.add_node(name + ".d", OpKind::Sub, attr::None{}, {in, mean});
    const ValueId sq = g.add_node(name + ".sq", OpKind::Pow, attr::None{}, {d, scalar(g, name + ".two", 2, values)});
    const ValueId var = g.add_node(name + ".var", OpKind::ReduceMean, attr::Reduce{axes, true}, {sq});
    const ValueId plus =
        g.add_node(name + ".plus", OpKind::Add, attr::None{}, {var, scalar(g, name + ".eps", 1e-5f, values)});
    const ValueId root = g.add_node(name + ".root", OpKind::Sqrt, attr::None{}, {plus});
    return g.add_node(name + ".div", OpKind::Div, attr::None{}, {d, root});
  };
  const ValueId last = norm("last", nhwc, {3});
  const ValueId gamma = g.add_node("gamma", OpKind::Constant, attr::Constant{.shape = {8}}, {});
  const ValueId beta = g.add_node("beta", OpKind::Constant, attr::Constant{.shape = {8}}, {});
  const ValueId scaled = g.add_node("scaled", OpKind::Mul, attr::None{}, {last, gamma});
  g.add_output(g.add_node("shifted", OpKind::Add, attr::None{}, {beta, scaled}));
  g.add_output(norm("planes", c, {2, 3}));
  g.add_output(norm("channels", c, {1}));
  const Parameters p = drawn_parameters(g, 21, 0.5, 1.5, values);
  const Tensor input = test_uniform("input", g.shape(x), 21, -2, 2);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-5), "");
  const onednn::Fusions f = onednn::plan_inference_fusions(g, p);
  ASSERT_EQ(f.layer_norm.size(), 2u);
  const onednn::LayerNormOf& with_affine = f.layer_norm.at(g.value(g.outputs()[0]).producer);
  EXPECT_EQ(with_affine.axis, 3);
  EXPECT_EQ(with_affine.scale, gamma);
  EXPECT_EQ(with_affine.bias, beta);
  EXPECT_FLOAT_EQ(with_affine.epsilon, 1e-5f);
  EXPECT_EQ(f.layer_norm.at(g.value(g.outputs()[1]).producer).axis, 2);
  EXPECT_FALSE(f.layer_norm.at(g.value(g.outputs()[1]).producer).scale);
  EXPECT_EQ(plain_steps(g, p), 0);  // over channels, node by node: oneDNN broadcasts over a blocked channel dimension
}

// A chain of GELU's form whose constants broadcast its values to a higher rank is no GELU of x: its output has
// another shape. It runs node by node.
TEST(ImportedGelu, AChainWhoseConstantsRaiseTheRankIsNotFused) {
  Graph g("gelu_broadcast");
  std::map<std::string, float> values;
  const ValueId x = g.add_input("input", {2, 6});
  const ValueId one = g.add_node("one", OpKind::Constant, attr::Constant{.shape = {1, 1, 1}}, {});
  const ValueId scaled =
      g.add_node("scaled", OpKind::Div, attr::None{}, {x, scalar(g, "root2", std::numbers::sqrt2_v<float>, values)});
  const ValueId erf = g.add_node("erf", OpKind::Erf, attr::None{}, {scaled});
  const ValueId plus = g.add_node("plus", OpKind::Add, attr::None{}, {erf, one});  // 1 x 2 x 6
  const ValueId times = g.add_node("times", OpKind::Mul, attr::None{}, {plus, x});
  g.add_output(g.add_node("half", OpKind::Mul, attr::None{}, {times, scalar(g, "h", 0.5f, values)}));
  Parameters p = drawn_parameters(g, 23, 0, 1, values);
  p.at(g.node(g.value(one).producer).params.at(0).name) = Tensor(Dims{1, 1, 1}, std::vector<float>{1});
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, test_uniform("input", g.shape(x), 23, -2, 2), 1e-5), "");
  EXPECT_TRUE(onednn::plan_inference_fusions(g, p).gelu.empty());
}

// Resize on oneDNN's resampling where the two agree: linear with half_pixel and pytorch_half_pixel coordinates, up
// and down by any factor; nearest by whole factors with asymmetric floor and half_pixel rounding. Nearest by 1.5,
// nearest with half_pixel floor (another element), linear with align_corners and cubic stay on the reference kernel.
TEST(ImportedResize, OneDnnsResamplingAgreesWithTheReferenceWhereItIsUsed) {
  using R = attr::Resize;
  Graph g("resizes");
  const ValueId x = g.add_input("input", {2, 4, 6, 6});
  const ValueId c = g.add_node("conv", OpKind::Conv, attr::Conv{.out = 8, .kernel = 3, .pad = 1}, {x});
  const auto resize = [&](const std::string& name, Dims sizes, R::Mode mode, R::Coordinates coordinates,
                          R::Rounding rounding = R::Rounding::RoundPreferFloor) {
    std::vector<double> scales{1, 1};
    for (std::size_t d = 2; d < 4; ++d) scales.push_back(static_cast<double>(sizes[d]) / 6.0);
    R a;
    a.sizes = std::move(sizes);
    a.scales = scales;
    a.mode = mode;
    a.coordinates = coordinates;
    a.rounding = rounding;
    g.add_output(g.add_node(name, OpKind::Resize, a, {c}));
  };
  resize("linear_up", {2, 8, 12, 9}, R::Mode::Linear, R::Coordinates::HalfPixel);
  resize("linear_down", {2, 8, 4, 3}, R::Mode::Linear, R::Coordinates::PytorchHalfPixel);
  resize("nearest_torch", {2, 8, 12, 18}, R::Mode::Nearest, R::Coordinates::Asymmetric, R::Rounding::Floor);
  resize("nearest_half_pixel", {2, 8, 12, 12}, R::Mode::Nearest, R::Coordinates::HalfPixel,
         R::Rounding::RoundPreferCeil);
  resize("nearest_by_1_5", {2, 8, 9, 9}, R::Mode::Nearest, R::Coordinates::Asymmetric, R::Rounding::Floor);
  resize("nearest_half_pixel_floor", {2, 8, 12, 12}, R::Mode::Nearest, R::Coordinates::HalfPixel, R::Rounding::Floor);
  resize("linear_corners", {2, 8, 12, 12}, R::Mode::Linear, R::Coordinates::AlignCorners);
  resize("cubic", {2, 8, 12, 12}, R::Mode::Cubic, R::Coordinates::HalfPixel);
  const Parameters p = test_parameters(g, 25);
  const Tensor input = test_uniform("input", g.shape(x), 25, -1, 1);
  EXPECT_EQ(testing_oracle::engine_vs_reference(g, p, input, 1e-5), "");
  EXPECT_EQ(plain_steps(g, p), 4);
}

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
