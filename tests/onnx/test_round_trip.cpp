// Round trip: a zoo model exported to ONNX and imported again is the same network: the same summary
// figures for every model, and the same outputs for one model of each family.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cnnzoo/analysis.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"
#include "cnnzoo/onnx.h"

namespace cnnzoo {
namespace {

struct RoundTrip {
  Graph graph;
  Parameters parameters;
  OnnxModel imported;
};

RoundTrip round_trip(const std::string& name, ModelOptions options = {}) {
  Graph graph = build_model(name, options);
  Parameters parameters = test_parameters(graph, 7);
  OnnxModel imported = import_onnx_bytes(export_onnx_bytes(graph, parameters), name + ".onnx");
  return {std::move(graph), std::move(parameters), std::move(imported)};
}

std::vector<std::string> every_model() {
  std::vector<std::string> names;
  for (const ModelInfo& info : list_models()) names.push_back(info.name);
  return names;
}

class EveryModel : public testing::TestWithParam<std::string> {};

TEST_P(EveryModel, SummaryFiguresSurviveTheRoundTrip) {
  const RoundTrip r = round_trip(GetParam());
  const Analysis before = analyze(r.graph);
  const Analysis after = analyze(r.imported.graph);
  EXPECT_EQ(after.total.params, before.total.params);
  EXPECT_EQ(after.total.macs, before.total.macs);
  EXPECT_EQ(after.input, before.input);
  EXPECT_EQ(r.imported.graph.outputs().size(), r.graph.outputs().size());
  // The weights keep their torchvision names.
  for (const auto& [key, tensor] : r.imported.parameters) {
    if (key.ends_with(".num_batches_tracked")) continue;
    const auto original = r.parameters.find(key);
    ASSERT_NE(original, r.parameters.end()) << key;
    EXPECT_TRUE(std::equal(tensor.f32().begin(), tensor.f32().end(), original->second.f32().begin())) << key;
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, EveryModel, testing::ValuesIn(every_model()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

// One model of each family (and each op the exporter maps: LRN, ceil-mode pools, auxiliary heads,
// channel padding, the SE gate, grouped convolutions, dense concatenation) runs to the same outputs.
class FamilyModel : public testing::TestWithParam<std::string> {};

// The model `name` built with `options` (batch 2) runs to the same outputs after the round trip.
void expect_outputs_survive(const std::string& name, ModelOptions options) {
  options.batch = 2;
  const RoundTrip r = round_trip(name, options);
  const Tensor x = test_uniform("input", r.graph.shape(r.graph.inputs()[0]), 3, -1, 1);
  const std::vector<Tensor> want = InferenceEngine(r.graph, r.parameters).run(x);
  const std::vector<Tensor> got = InferenceEngine(r.imported.graph, r.imported.parameters).run(x);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i].shape(), want[i].shape());
    const auto [lo, hi] = std::minmax_element(want[i].f32().begin(), want[i].f32().end());
    const double tolerance = 1e-5 * (*hi - *lo);
    for (std::size_t k = 0; k < want[i].f32().size(); ++k) {
      ASSERT_NEAR(got[i].f32()[k], want[i].f32()[k], tolerance) << name << " output " << i << " element " << k;
    }
  }
}

TEST_P(FamilyModel, OutputsSurviveTheRoundTrip) { expect_outputs_survive(GetParam(), {}); }

INSTANTIATE_TEST_SUITE_P(Zoo, FamilyModel,
                         testing::Values("alexnet", "alexnet_paper", "zfnet", "vgg11_bn", "googlenet",
                                         "googlenet_paper", "resnet18", "resnet50", "resnext50_32x4d",
                                         "preact_resnet18", "se_resnet18", "resnet20", "preact_resnet110", "wrn28_10",
                                         "densenet121", "densenet_bc100", "inception_v3", "inception_resnet_v2"),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

// Inception-ResNet's scale is exported as a Mul by a scalar and comes back as a scale (oneDNN, trainable), and
// Inception-v3's padded average pools, exported as a zero Pad and an unpadded pool (OpenCV 4.6 ignores
// count_include_pad=1), come back as one pool that counts its padding.
// transform_input is exported as a Mul and an Add by 3 x 1 x 1 constants, which come back as one channel_affine
// node (float32 numbers now) and give the same outputs.
TEST(RoundTrip, TransformInputSurvives) {
  expect_outputs_survive("googlenet", {.transform_input = true});
  const RoundTrip r = round_trip("googlenet", {.transform_input = true});
  const auto node = r.imported.graph.find_node("transform_input");
  ASSERT_TRUE(node.has_value());
  const Node& imported = r.imported.graph.node(*node);
  ASSERT_EQ(imported.op, OpKind::ChannelAffine);
  const auto& want = std::get<attr::ChannelAffine>(r.graph.node(0).attrs);
  const auto& got = std::get<attr::ChannelAffine>(imported.attrs);
  ASSERT_EQ(got.scale.size(), 3u);
  ASSERT_EQ(got.shift.size(), 3u);
  for (std::size_t c = 0; c < 3; ++c) {
    EXPECT_EQ(got.scale[c], static_cast<float>(want.scale[c])) << c;
    EXPECT_EQ(got.shift[c], static_cast<float>(want.shift[c])) << c;
  }
  EXPECT_EQ(analyze(r.imported.graph).total.flops, analyze(r.graph).total.flops);
}

TEST(RoundTrip, ScalesAndCountedPaddingComeBackAsTheirOps) {
  const RoundTrip res = round_trip("inception_resnet_v2");
  int64_t scales = 0;
  for (const Node& n : res.imported.graph.nodes()) {
    EXPECT_NE(n.op, OpKind::Mul) << n.name;
    if (n.op == OpKind::Scale) ++scales;
  }
  EXPECT_EQ(scales, 39);  // 10 + 20 + 9 scaled blocks; the last Block8 is not scaled
  const RoundTrip v3 = round_trip("inception_v3");
  const auto pool = v3.imported.graph.find_node("Mixed_5b.avg_pool");
  ASSERT_TRUE(pool.has_value());
  const auto& a = std::get<attr::Pool>(v3.imported.graph.node(*pool).attrs);
  EXPECT_TRUE(a.count_include_pad);
  EXPECT_EQ(a.pad, Hw(1));
  EXPECT_EQ(a.effective_pad_end(), Hw(1));
}

// The ops of imported graphs (issue 18) exported and imported again run to the same outputs. Layer norm leaves as its
// opset-13 decomposition, so it comes back as nine nodes of the same value.
TEST(RoundTrip, ImportedGraphOpsSurvive) {
  Graph g("imported_ops");
  const ValueId x = g.add_input("input", {2, 3, 4, 5});
  const ValueId c = g.add_node("c", OpKind::Constant, attr::Constant{.shape = {5}}, {});
  const ValueId sub = g.add_node("sub", OpKind::Sub, attr::None{}, {x, c});
  const ValueId div =
      g.add_node("div", OpKind::Div, attr::None{}, {sub, g.add_node("exp", OpKind::Exp, attr::None{}, {c})});
  const ValueId pow =
      g.add_node("pow", OpKind::Pow, attr::None{}, {g.add_node("e", OpKind::Exp, attr::None{}, {div}), c});
  const ValueId mn =
      g.add_node("min", OpKind::Min, attr::None{}, {pow, g.add_node("abs", OpKind::Abs, attr::None{}, {x})});
  const ValueId mx =
      g.add_node("max", OpKind::Max, attr::None{}, {mn, g.add_node("neg", OpKind::Neg, attr::None{}, {x})});
  const ValueId sq =
      g.add_node("sqrt", OpKind::Sqrt, attr::None{}, {g.add_node("a2", OpKind::Abs, attr::None{}, {mx})});
  const ValueId erf = g.add_node("erf", OpKind::Erf, attr::None{}, {sq});
  const ValueId tanh = g.add_node("tanh", OpKind::Tanh, attr::None{}, {x});
  const ValueId hsig = g.add_node("hsig", OpKind::HardSigmoid, attr::HardSigmoid{1.0 / 6, 0.5}, {tanh});
  const ValueId hsw =
      g.add_node("hswish", OpKind::HardSwish, attr::None{}, {g.add_node("m", OpKind::Mul, attr::None{}, {erf, hsig})});
  const ValueId sl =
      g.add_node("slice", OpKind::Slice, attr::Slice{{0, 2, 0, 4}, {2, -1, 4, -1}, {1, -1, 2, -2}}, {hsw});
  const ValueId scale = g.add_node("scale", OpKind::Constant, attr::Constant{.shape = {2, 3}}, {});
  const ValueId bias = g.add_node("bias", OpKind::Constant, attr::Constant{.shape = {2, 3}}, {});
  const ValueId ln = g.add_node("ln", OpKind::LayerNorm, attr::LayerNorm{2, 1e-5}, {sl, scale, bias});
  g.add_output(g.add_node("rmean", OpKind::ReduceMean, attr::Reduce{{1}, true}, {ln}));
  g.add_output(g.add_node("rsum", OpKind::ReduceSum, attr::Reduce{{2, 3}, false}, {ln}));
  g.add_output(g.add_node("rmax", OpKind::ReduceMax, attr::Reduce{{0}, false}, {x}));
  g.add_output(g.add_node("rmin", OpKind::ReduceMin, attr::Reduce{{}, true}, {x}));
  g.add_output(ln);
  using Mode = attr::Pad::Mode;
  g.add_output(g.add_node("reflect", OpKind::Pad, attr::Pad{{0, 0, 1, 2}, {0, 0, 2, 1}, Mode::Reflect, 0}, {tanh}));
  g.add_output(g.add_node("border", OpKind::Pad, attr::Pad{{0, 1, 0, 0}, {1, 0, -1, 3}, Mode::Constant, 0.5}, {x}));
  // Resize by scales (written as scales) and by sizes (written as sizes), and a box of tf_crop_and_resize.
  attr::Resize up;
  up.sizes = {2, 3, 6, 7};
  up.scales = {1, 1, 1.5f, 1.5f};  // floats, as a file holds them: 4 x 1.5 = 6, 5 x 1.5 = 7.5 -> 7
  up.mode = attr::Resize::Mode::Cubic;
  up.exclude_outside = true;
  up.cubic_coeff_a = -0.5;
  g.add_output(g.add_node("up", OpKind::Resize, up, {tanh}));
  attr::Resize down;
  down.sizes = {2, 3, 3, 3};
  down.scales = {1, 1, 3.0 / 4, 3.0 / 5};
  down.mode = attr::Resize::Mode::Linear;
  down.coordinates = attr::Resize::Coordinates::AlignCorners;
  g.add_output(g.add_node("down", OpKind::Resize, down, {x}));
  attr::Resize crop = down;
  crop.scales = {1, 1, 0.75f, 0.5f};
  crop.sizes = {2, 3, 3, 2};
  crop.mode = attr::Resize::Mode::Nearest;
  crop.rounding = attr::Resize::Rounding::Ceil;
  crop.coordinates = attr::Resize::Coordinates::TfCropAndResize;
  crop.roi = {0, 0, 0.25f, -0.5f, 1, 1, 0.75f, 1.5f};
  crop.extrapolation_value = 7;
  g.add_output(g.add_node("crop", OpKind::Resize, crop, {x}));
  g.add_output(
      g.add_node("dilated", OpKind::MaxPool, attr::Pool{.kernel = 2, .stride = 1, .pad = 1, .dilation = 2}, {x}));
  Parameters parameters;
  for (const char* constant : {"c", "scale", "bias"}) {
    const std::string key = std::string(constant) + ".value";
    parameters.emplace(key, test_uniform(key, g.shape(g.node(*g.find_node(constant)).output), 5, -1, 1));
  }
  const OnnxModel back = import_onnx_bytes(export_onnx_bytes(g, parameters), "imported_ops.onnx");
  const Tensor input = test_uniform("input", g.shape(x), 3, -2, 2);
  const std::vector<Tensor> want = InferenceEngine(g, parameters).run(input);
  const std::vector<Tensor> got = InferenceEngine(back.graph, back.parameters).run(input);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i].shape(), want[i].shape()) << i;
    for (std::size_t k = 0; k < want[i].f32().size(); ++k) {
      ASSERT_TRUE(std::isfinite(want[i].f32()[k])) << i << " " << k;
      ASSERT_NEAR(got[i].f32()[k], want[i].f32()[k], 1e-5 * (1 + std::abs(want[i].f32()[k])))
          << "output " << i << " element " << k;
    }
  }
  // Layer norm comes back as its decomposition, ending in the Add of its bias under its own name.
  for (const Node& n : back.graph.nodes()) EXPECT_NE(n.op, OpKind::LayerNorm) << n.name;
  const auto ln_back = back.graph.find_node("ln");
  ASSERT_TRUE(ln_back.has_value());
  EXPECT_EQ(back.graph.node(*ln_back).op, OpKind::Add);
  // The other ops come back one to one, under their names.
  for (const Node& n : g.nodes()) {
    if (n.op == OpKind::Constant || n.op == OpKind::LayerNorm || n.name == "exp") continue;  // exp(c) is folded
    const auto same = back.graph.find_node(n.name);
    ASSERT_TRUE(same.has_value()) << n.name;
    EXPECT_EQ(back.graph.node(*same).op, n.op) << n.name;
  }
}

}  // namespace
}  // namespace cnnzoo
