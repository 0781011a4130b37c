// The residual networks: torchvision parity (parameters, buffers, MACs, the full state_dict and every
// hooked layer's output shape), the papers' published figures, block structure and the options.
//
// Every expected number is published (torchvision's reference JSON, the papers' tables) or counted by
// hand in this file, from the papers' layer tables rather than from the builder. Where a publication
// disagrees with the hand count at its printed precision, the comment at the test says by how much and
// what we found about why.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/graph.h"
#include "cnnzoo/models.h"
#include "models/zoo_support.h"

namespace cnnzoo {
namespace {

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

using test::output_of;
using test::state_dict;
using test::torchvision;

int64_t reference_int(const std::string& model, const char* key) { return torchvision(model).at(key).get<int64_t>(); }

Totals totals(const std::string& model, const ModelOptions& options = {}) {
  return analyze(build_model(model, options)).total;
}

// Output of the last node under a module prefix ("layer4" -> the block's final ReLU or sum).
const Dims& module_output(const Graph& g, const std::string& prefix) {
  for (auto it = g.nodes().rbegin(); it != g.nodes().rend(); ++it) {
    if (it->name.starts_with(prefix + ".")) return g.shape(it->output);
  }
  throw std::runtime_error(fmt::format("{} has no module {}", g.name(), prefix));
}

const ParamSpec* find_param(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes()) {
    for (const ParamSpec& p : n.params) {
      if (p.name == name) return &p;
    }
  }
  return nullptr;
}

int64_t count_op(const Graph& g, OpKind op) {
  int64_t count = 0;
  for (const Node& n : g.nodes()) count += n.op == op ? 1 : 0;
  return count;
}

// Elements written by every node of one op (one batch): the residual sums, the SE rescaling.
int64_t elements_of(const Graph& g, OpKind op) {
  int64_t total = 0;
  for (const Node& n : g.nodes()) {
    if (n.op == op) total += numel(g.shape(n.output));
  }
  return total;
}

// Trainable parameters of the convolutions and linear layers only (no BN scale and shift).
int64_t weight_params(const Graph& g) {
  int64_t total = 0;
  for (const Node& n : g.nodes()) {
    if (n.op != OpKind::Conv && n.op != OpKind::Linear) continue;
    for (const ParamSpec& p : n.params) total += numel(p.shape);
  }
  return total;
}

// A count in `unit`s printed with `decimals` decimals, as a paper prints it ("3.86", "0.27").
std::string printed(int64_t value, double unit, int decimals) {
  return fmt::format("{:.{}f}", static_cast<double>(value) / unit, decimals);
}

template <class F>
void expect_invalid_argument(F&& f, const std::vector<std::string>& fragments) {
  try {
    f();
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    for (const std::string& s : fragments) EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what();
  }
}

// The ImageNet stage tables of He et al. 2015, table 1.
struct ImageNetDepth {
  const char* layers;
  bool bottleneck;
  std::vector<int64_t> blocks;
};
const ImageNetDepth kImageNetDepths[] = {
    {"18", false, {2, 2, 2, 2}},  {"34", false, {3, 4, 6, 3}},  {"50", true, {3, 4, 6, 3}},
    {"101", true, {3, 4, 23, 3}}, {"152", true, {3, 8, 36, 3}},
};

// v1 strides on the first 1x1 of a bottleneck, v1.5 on the 3x3. In the first block of stages 2, 3, 4
// that 1x1 (2w -> w channels, w = 128, 256, 512) then runs at 28x28, 14x14, 7x7 instead of 56x56, 28x28,
// 14x14: (3136 - 784) * 256 * 128 = (784 - 196) * 512 * 256 = (196 - 49) * 1024 * 512 = 77,070,336
// multiply-adds fewer per stage, whatever the depth.
constexpr int64_t kV1SavesMacs = 3 * 77'070'336;

TEST(ResNetImageNet, StageOutputShapes) {
  const Graph g = build_model("resnet50");
  EXPECT_EQ(module_output(g, "layer1"), (Dims{1, 256, 56, 56}));
  EXPECT_EQ(module_output(g, "layer2"), (Dims{1, 512, 28, 28}));
  EXPECT_EQ(module_output(g, "layer3"), (Dims{1, 1024, 14, 14}));
  EXPECT_EQ(module_output(g, "layer4"), (Dims{1, 2048, 7, 7}));
  EXPECT_EQ(module_output(build_model("resnet18"), "layer4"), (Dims{1, 512, 7, 7}));
  // The sum has its own node, followed by the block's ReLU.
  EXPECT_EQ(output_of(g, "layer4.2.add"), (Dims{1, 2048, 7, 7}));
}

TEST(ResNetImageNet, GroupsAndWidthTurnResNet50IntoResNeXt) {
  const Totals t = totals("resnet50", {.width = 4, .groups = 32});
  EXPECT_EQ(t.params, reference_int("resnext50_32x4d", "params"));
  EXPECT_EQ(t.macs, reference_int("resnext50_32x4d", "macs"));
  EXPECT_EQ(totals("resnet50", {.width = 128}).params, reference_int("wide_resnet50_2", "params"));
}

TEST(ResNetImageNet, OptionsTheModelsDoNotTakeAreRejected) {
  // torchvision's BasicBlock supports neither groups nor a base width; no ImageNet model takes a depth.
  expect_invalid_argument([] { build_model("resnet18", {.groups = 2}); }, {"ModelOptions::groups"});
  expect_invalid_argument([] { build_model("resnet34", {.width = 32}); }, {"ModelOptions::width"});
  expect_invalid_argument([] { build_model("resnet50", {.depth = 50}); }, {"ModelOptions::depth"});
  expect_invalid_argument([] { build_model("se_resnet18", {.width = 32}); }, {"ModelOptions::width"});
  EXPECT_NO_THROW(build_model("se_resnet50", {.width = 4, .groups = 32}));  // SE-ResNeXt-50
}

// ---------------------------------------------------------------------------------------------------
// ResNet v1: He et al. 2015 as published
// ---------------------------------------------------------------------------------------------------

TEST(ResNetV1, StridesOnTheFirst1x1) {
  const Graph v1 = build_model("resnet50_v1");
  const Graph v15 = build_model("resnet50");
  EXPECT_EQ(output_of(v1, "layer2.0.conv1"), (Dims{1, 128, 28, 28}));
  EXPECT_EQ(output_of(v15, "layer2.0.conv1"), (Dims{1, 128, 56, 56}));
  EXPECT_EQ(output_of(v1, "layer2.0.conv2"), (Dims{1, 128, 28, 28}));
  EXPECT_EQ(module_output(v1, "layer4"), (Dims{1, 2048, 7, 7}));
}

TEST(ResNetV1, SameParametersAsTorchvisionAndHandCountedMacs) {
  for (const char* depth : {"50", "101", "152"}) {
    const Totals t = totals(fmt::format("resnet{}_v1", depth));
    const std::string tv = fmt::format("resnet{}", depth);
    EXPECT_EQ(t.params, reference_int(tv, "params")) << depth;
    EXPECT_EQ(t.buffers, reference_int(tv, "buffers")) << depth;
    EXPECT_EQ(t.macs, reference_int(tv, "macs") - kV1SavesMacs) << depth;
  }
  EXPECT_EQ(totals("resnet50_v1").macs, 3'857'973'248);
}

// He et al. 2015, table 1, "FLOPs" (multiply-adds): 1.8, 3.6, 3.8, 7.6, 11.3 x 10^9. Our exact counts
// are 1.814, 3.664, 3.858, 7.570, 11.282 x 10^9. Rounded to one decimal they give 3.7 and 3.9 for the
// 34- and 50-layer nets where the table prints 3.6 and 3.8; truncated they give 7.5 and 11.2 for 101
// and 152 where it prints 7.6 and 11.3. So the table rounds some figures and truncates others; no
// single convention we tried (multiply-adds with or without the fc, with one op per element of the
// residual sums, without the projection shortcuts) reproduces all five under one rule, and the same
// paper's VGG-16 figure (15.3) is neither the rounded nor the truncated value of VGG-16's 15.47.
// We check that every printed figure is our count either rounded or truncated to one decimal.
TEST(ResNetV1, MacsAgreeWithResNetPaperTable1ToItsPrecision) {
  const std::pair<const char*, const char*> table1[] = {{"resnet18", "1.8"},
                                                        {"resnet34", "3.6"},
                                                        {"resnet50_v1", "3.8"},
                                                        {"resnet101_v1", "7.6"},
                                                        {"resnet152_v1", "11.3"}};
  for (const auto& [model, published] : table1) {
    const int64_t macs = totals(model).macs;
    const std::string rounded = printed(macs, 1e9, 1);
    const std::string truncated = printed(macs / 100'000'000 * 100'000'000, 1e9, 1);
    EXPECT_TRUE(rounded == published || truncated == published)
        << model << ": " << macs << " rounds to " << rounded << ", truncates to " << truncated;
  }
  // Where the rounding rule is plain:
  EXPECT_EQ(printed(totals("resnet101_v1").macs, 1e9, 1), "7.6");
  EXPECT_EQ(printed(totals("resnet152_v1").macs, 1e9, 1), "11.3");
}

// Hu et al. (SE paper), table 2, re-implemented ResNets: 3.86, 7.58, 11.30 GFLOPs. Multiply-adds alone
// give 3.858, 7.570, 11.282: 3.86 agrees, but 7.57 and 11.28 do not. With one operation more per
// element of each residual sum (5,519,360, 8,931,328, 13,146,112 elements), all three agree:
// 3.8635, 7.5791, 11.2956. The SE paper does not state its counting rule; this is the convention that
// reproduces its three figures, and its VGG-16 figure (15.47, no residual sums) stays multiply-adds.
TEST(ResNetV1, MacsPlusResidualSumsMatchSePaperTable2) {
  const std::pair<const char*, const char*> table2[] = {
      {"resnet50_v1", "3.86"}, {"resnet101_v1", "7.58"}, {"resnet152_v1", "11.30"}};
  for (const auto& [model, published] : table2) {
    const Graph g = build_model(model);
    const int64_t macs = analyze(g).total.macs;
    EXPECT_EQ(printed(macs + elements_of(g, OpKind::Add), 1e9, 2), published) << model;
  }
  EXPECT_EQ(printed(totals("resnet50_v1").macs, 1e9, 2), "3.86");  // multiply-adds alone
  EXPECT_EQ(elements_of(build_model("resnet50_v1"), OpKind::Add),
            3 * 256 * 56 * 56 + 4 * 512 * 28 * 28 + 6 * 1024 * 14 * 14 + 3 * 2048 * 7 * 7);
}

// ---------------------------------------------------------------------------------------------------
// SE-ResNet: Hu et al. 2018, reduction 16, on the v1 ResNet
// ---------------------------------------------------------------------------------------------------

// Per block with C output channels the SE gate adds fc1 (C*C/16 + C/16) and fc2 (C/16*C + C)
// parameters and 2*C*C/16 multiply-adds on its 1x1 maps.
struct SeExtra {
  int64_t params = 0;
  int64_t macs = 0;
};
SeExtra se_extra(const ImageNetDepth& d) {
  SeExtra e;
  for (std::size_t s = 0; s < d.blocks.size(); ++s) {
    const int64_t c = (int64_t{64} << s) * (d.bottleneck ? 4 : 1);
    e.params += d.blocks[s] * (2 * c * c / 16 + c / 16 + c);
    e.macs += d.blocks[s] * (2 * c * c / 16);
  }
  return e;
}

TEST(SeResNet, HandCountedParametersAndMacs) {
  for (const ImageNetDepth& d : kImageNetDepths) {
    const std::string tv = fmt::format("resnet{}", d.layers);
    const int64_t base_macs = reference_int(tv, "macs") - (d.bottleneck ? kV1SavesMacs : 0);
    const Totals t = totals(fmt::format("se_resnet{}", d.layers));
    EXPECT_EQ(t.params, reference_int(tv, "params") + se_extra(d).params) << d.layers;
    EXPECT_EQ(t.macs, base_macs + se_extra(d).macs) << d.layers;
  }
  // 25,557,032 + 2,514,944 (fc weights) + 16,048 (fc biases).
  const Totals t50 = totals("se_resnet50");
  EXPECT_EQ(t50.params, 28'088'024);
  EXPECT_EQ(printed(t50.params, 1e6, 1), "28.1");  // "~28.1M" in the SE paper's text
}

TEST(SeResNet, GateSitsOnTheBranchBeforeTheSum) {
  const Graph g = build_model("se_resnet50");
  EXPECT_EQ(find_param(g, "layer1.0.se.fc1.weight")->shape, (Dims{16, 256, 1, 1}));
  EXPECT_EQ(find_param(g, "layer1.0.se.fc1.bias")->shape, (Dims{16}));
  EXPECT_EQ(find_param(g, "layer1.0.se.fc2.weight")->shape, (Dims{256, 16, 1, 1}));
  EXPECT_EQ(find_param(g, "layer4.2.se.fc2.bias")->shape, (Dims{2048}));
  EXPECT_EQ(output_of(g, "layer1.0.se.avgpool"), (Dims{1, 256, 1, 1}));
  EXPECT_EQ(output_of(g, "layer1.0.se.sigmoid"), (Dims{1, 256, 1, 1}));
  const Node& add = g.node(*g.find_node("layer1.0.add"));
  EXPECT_EQ(g.node(g.value(add.inputs[0]).producer).name, "layer1.0.se.scale");
  EXPECT_EQ(g.node(g.value(add.inputs[1]).producer).name, "layer1.0.downsample.1");
  EXPECT_EQ(count_op(g, OpKind::ChannelMul), 16);
  // v1 strides, as the SE paper's models.
  EXPECT_EQ(output_of(g, "layer3.0.conv1"), (Dims{1, 256, 14, 14}));
}

// SE paper, table 2: SE-ResNet-18 1.82, -34 3.66, -50 3.87, -101 7.60, -152 11.32 GFLOPs. Multiply-adds
// alone (1.8142, 3.6639, 3.8605, 7.5749, 11.2890) reproduce only 3.66. The convention that reproduces
// the plain ResNets' figures above (one op per element of each residual sum), with one op per element
// of the SE rescaling too, reproduces 1.82, 3.87 and 11.32 but gives 3.67 for SE-ResNet-34 and 7.59 for
// SE-ResNet-101; no convention we tried (adding the SE pool, the sigmoid, or leaving out the sums)
// reproduces all five, so these figures are checked to within one unit of their last digit.
TEST(SeResNet, AgreesWithSePaperTable2ToOneUnitInTheLastDigit) {
  const std::pair<const char*, double> table2[] = {{"se_resnet18", 1.82},
                                                   {"se_resnet34", 3.66},
                                                   {"se_resnet50", 3.87},
                                                   {"se_resnet101", 7.60},
                                                   {"se_resnet152", 11.32}};
  for (const auto& [model, published] : table2) {
    const Graph g = build_model(model);
    const int64_t ops = analyze(g).total.macs + elements_of(g, OpKind::Add) + elements_of(g, OpKind::ChannelMul);
    EXPECT_NEAR(static_cast<double>(ops) / 1e9, published, 0.0100001) << model;
  }
  const Graph g50 = build_model("se_resnet50");
  EXPECT_EQ(
      printed(analyze(g50).total.macs + elements_of(g50, OpKind::Add) + elements_of(g50, OpKind::ChannelMul), 1e9, 2),
      "3.87");
  const Graph g152 = build_model("se_resnet152");
  EXPECT_EQ(printed(analyze(g152).total.macs + elements_of(g152, OpKind::Add) + elements_of(g152, OpKind::ChannelMul),
                    1e9, 2),
            "11.32");
  EXPECT_EQ(printed(totals("se_resnet34").macs, 1e9, 2), "3.66");
}

// ---------------------------------------------------------------------------------------------------
// Pre-activation ResNet (ImageNet): He et al. 2016 as fb.resnet.torch's preresnet
// ---------------------------------------------------------------------------------------------------

TEST(PreactResNet, HandCountedParameters) {
  // From torchvision's count: per block the BNs move in front of the convolutions (bn1 on the input
  // channels, bn2/bn3 on the width), projections lose their BN, and bn_final is added.
  // ResNet-18: -2*(128+256+512) projection BNs; layer1.0 has no bn1 (-128: the stem's BN-ReLU serves);
  // layer2..4.0 bn1 on half the channels (-128, -256, -512); bn_final +1024.
  EXPECT_EQ(totals("preact_resnet18").params, 11'689'512 - 1'792 - 128 - 128 - 256 - 512 + 1'024);
  // ResNet-50: a block's BNs go from 2*(w+w+4w) to 2*(C_in+w+w): equal where C_in = 4w; layer1.0 has no
  // bn1 (-512); layer2..4.0 have C_in = 2w (-512, -1024, -2048); projection BNs -2*(256+512+1024+2048);
  // bn_final +4096.
  EXPECT_EQ(totals("preact_resnet50").params, 25'557'032 - 512 - 512 - 1'024 - 2'048 - 7'680 + 4'096);
  // Multiply-adds are those of the convolutions and fc, which torchvision's ResNets share.
  EXPECT_EQ(totals("preact_resnet50").macs, reference_int("resnet50", "macs"));
}

TEST(PreactResNet, BlocksActivateBeforeConvolvingAndProjectTheActivatedInput) {
  const Graph g = build_model("preact_resnet50");
  EXPECT_FALSE(g.has_node("layer1.0.bn1"));  // fb.resnet.torch's "no_preact" first block
  EXPECT_EQ(find_param(g, "layer2.0.bn1.weight")->shape, (Dims{256}));
  EXPECT_EQ(find_param(g, "layer1.0.downsample.0.weight")->shape, (Dims{256, 64, 1, 1}));
  EXPECT_EQ(find_param(g, "layer1.0.downsample.1.weight"), nullptr);
  EXPECT_EQ(find_param(g, "bn_final.weight")->shape, (Dims{2048}));
  // The projection reads layer2.0's BN-ReLU output, as the residual branch does.
  const Node& proj = g.node(*g.find_node("layer2.0.downsample.0"));
  const Node& conv1 = g.node(*g.find_node("layer2.0.conv1"));
  EXPECT_EQ(proj.inputs[0], conv1.inputs[0]);
  EXPECT_EQ(g.node(g.value(proj.inputs[0]).producer).op, OpKind::Relu);
  EXPECT_EQ(output_of(g, "layer2.0.conv2"), (Dims{1, 128, 28, 28}));  // stride on the 3x3
  EXPECT_EQ(output_of(g, "layer2.0.conv1"), (Dims{1, 128, 56, 56}));
  // Nothing after the sum: the next block's BN reads it.
  const Value& sum = g.value(g.node(*g.find_node("layer1.1.add")).output);
  ASSERT_EQ(sum.consumers.size(), 2u);  // layer1.2.bn1 and the identity shortcut of layer1.2.add
  EXPECT_EQ(g.node(sum.consumers[0]).name, "layer1.2.bn1");
}

// ---------------------------------------------------------------------------------------------------
// CIFAR ResNets and plain nets: He et al. 2015, section 4.2
// ---------------------------------------------------------------------------------------------------

// Hand count of a 6n+2 CIFAR ResNet with option-A shortcuts: the 3x3 conv to 16 maps and its BN, three
// stages of n blocks (two 3x3 convolutions and two BNs each) at 16, 32, 64 maps, fc 64 -> 10.
int64_t cifar_resnet_params(int64_t n) {
  int64_t total = 3 * 16 * 9 + 2 * 16;
  int64_t in = 16;
  for (int64_t w : {16, 32, 64}) {
    total += 9 * in * w + 2 * w + 9 * w * w + 2 * w;  // first block
    total += (n - 1) * (2 * 9 * w * w + 4 * w);
    in = w;
  }
  return total + 64 * 10 + 10;
}

TEST(CifarResNet, HandCountedParameters) {
  EXPECT_EQ(cifar_resnet_params(3), 269'722);
  EXPECT_EQ(cifar_resnet_params(9), 853'018);
  EXPECT_EQ(cifar_resnet_params(18), 1'727'962);
  for (int64_t depth : {20, 32, 44, 56, 110, 1202}) {
    EXPECT_EQ(totals(fmt::format("resnet{}", depth)).params, cifar_resnet_params((depth - 2) / 6)) << depth;
  }
  for (int64_t depth : {20, 32, 44, 56, 110}) {
    EXPECT_EQ(totals(fmt::format("plain{}", depth)).params, cifar_resnet_params((depth - 2) / 6)) << depth;
  }
}

TEST(CifarResNet, ParametersMatchResNetPaperTable6) {
  const std::pair<const char*, const char*> table6[] = {
      {"resnet20", "0.27"}, {"resnet32", "0.46"}, {"resnet44", "0.66"}, {"resnet56", "0.85"}};
  for (const auto& [model, published] : table6) EXPECT_EQ(printed(totals(model).params, 1e6, 2), published) << model;
  EXPECT_EQ(printed(totals("resnet110").params, 1e6, 1), "1.7");
  EXPECT_EQ(printed(totals("resnet1202").params, 1e6, 1), "19.4");
}

TEST(CifarResNet, HandCountedMacs) {
  // A 3x3 conv at 16 maps on 32x32, 32 on 16x16 or 64 on 8x8 costs 1024*16*16*9 = 2,359,296; the first
  // conv of stages 2 and 3 reads half the channels (half of that); stem 32*32*16*27, fc 640.
  auto macs = [](int64_t n) { return 32 * 32 * 16 * 27 + 6 * n * 2'359'296 - 2 * 1'179'648 + 640; };
  EXPECT_EQ(macs(3), 40'551'040);
  EXPECT_EQ(totals("resnet20").macs, macs(3));
  EXPECT_EQ(totals("resnet110").macs, macs(18));
  EXPECT_EQ(totals("plain56").macs, macs(9));
}

TEST(CifarResNet, OptionAShortcutsSubsampleAndZeroPad) {
  const Graph g = build_model("resnet20");
  EXPECT_EQ(output_of(g, "layer2.0.shortcut.subsample"), (Dims{1, 16, 16, 16}));
  EXPECT_EQ(output_of(g, "layer2.0.shortcut.pad"), (Dims{1, 32, 16, 16}));
  const Node& pad = g.node(*g.find_node("layer3.0.shortcut.pad"));
  const auto& a = std::get<attr::ChannelPad>(pad.attrs);
  EXPECT_EQ(a.before, 16);
  EXPECT_EQ(a.after, 16);
  const Node& sub = g.node(*g.find_node("layer3.0.shortcut.subsample"));
  EXPECT_EQ(sub.op, OpKind::MaxPool);
  EXPECT_EQ(std::get<attr::Pool>(sub.attrs).kernel, Hw(1));
  EXPECT_FALSE(g.has_node("layer1.0.shortcut.pad"));
  EXPECT_FALSE(g.has_node("layer2.0.downsample.0"));
  EXPECT_EQ(count_op(g, OpKind::Add), 9);
  EXPECT_EQ(module_output(g, "layer3"), (Dims{1, 64, 8, 8}));
  EXPECT_EQ(g.shape(g.outputs()[0]), (Dims{1, 10}));
}

TEST(CifarPlain, HasNoShortcutsOrSums) {
  const Graph g = build_model("plain20");
  EXPECT_EQ(count_op(g, OpKind::Add), 0);
  EXPECT_EQ(count_op(g, OpKind::ChannelPad), 0);
  EXPECT_EQ(count_op(g, OpKind::Conv), 19);
  EXPECT_EQ(module_output(g, "layer3"), (Dims{1, 64, 8, 8}));
}

// Without batch norm (ModelOptions::no_bn): every BN (2 parameters per map) is gone and every convolution gets
// a bias (1 per map): the stem's 16 maps and 6n convolutions of 16, 32 and 64 maps, by hand.
int64_t cifar_no_bn_params(int64_t n) {
  const int64_t bn = 2 * 16 + 2 * n * 2 * (16 + 32 + 64);
  const int64_t bias = 16 + 2 * n * (16 + 32 + 64);
  return cifar_resnet_params(n) - bn + bias;
}

TEST(CifarNoBn, HandCountedParametersWithoutBatchNorm) {
  EXPECT_EQ(cifar_no_bn_params(3), 269'034);  // 269,722 - 1,376 BN + 688 biases
  for (const char* model : {"plain20", "resnet20", "plain56", "resnet56"}) {
    const Graph g = build_model(model, {.no_bn = true});
    const int64_t n = model[std::string(model).size() - 2] == '2' ? 3 : 9;
    EXPECT_EQ(analyze(g).total.params, cifar_no_bn_params(n)) << model;
    EXPECT_EQ(count_op(g, OpKind::BatchNorm), 0) << model;
    EXPECT_EQ(g.name(), std::string(model) + "_nobn");
  }
  // The same MACs: a BN folds into nothing a multiply-add counts.
  EXPECT_EQ(totals("plain56", {.no_bn = true}).macs, totals("plain56").macs);
  const Graph plain = build_model("plain20", {.no_bn = true});
  EXPECT_EQ(count_op(plain, OpKind::Relu), 19);  // after the stem and after each of the 18 block convolutions
  EXPECT_EQ(count_op(plain, OpKind::Add), 0);
  const Graph residual = build_model("resnet20", {.no_bn = true});
  EXPECT_EQ(count_op(residual, OpKind::Add), 9);
  const auto has_bias = [](const Graph& g, const std::string& conv) {
    return std::get<attr::Conv>(g.node(*g.find_node(conv)).attrs).bias;
  };
  EXPECT_TRUE(has_bias(residual, "layer1.0.conv1"));
  EXPECT_FALSE(has_bias(build_model("resnet20"), "layer1.0.conv1"));
}

TEST(CifarNoBn, OnlyThePostActivationNetsTakeIt) {
  for (const char* model : {"preact_resnet110", "preact_resnet164", "wrn28_10"}) {
    expect_invalid_argument([model] { build_model(model, {.no_bn = true}); }, {"ModelOptions::no_bn", model});
  }
}

TEST(CifarResNet, DepthOptionBuildsAny6nPlus2) {
  EXPECT_EQ(totals("resnet20", {.depth = 56}).params, 853'018);
  EXPECT_EQ(totals("plain20", {.depth = 8}).params, cifar_resnet_params(1));
  EXPECT_EQ(totals("resnet20", {.num_classes = 100}).params, 269'722 + 90 * 64 + 90);
  for (int64_t bad : {21, 6, 2}) {
    expect_invalid_argument([bad] { build_model("resnet20", {.depth = bad}); },
                            {"ModelOptions::depth", "6n+2", std::to_string(bad)});
  }
  expect_invalid_argument([] { build_model("plain56", {.depth = 57}); }, {"ModelOptions::depth", "6n+2"});
  expect_invalid_argument([] { build_model("resnet20", {.width = 2}); }, {"ModelOptions::width"});
}

// ---------------------------------------------------------------------------------------------------
// CIFAR pre-activation ResNets: He et al. 2016 (resnet-1k-layers/resnet-pre-act.lua)
// ---------------------------------------------------------------------------------------------------

// A bare 3x3 stem conv (3 -> 16), three stages of n pre-activation blocks, final BN, fc -> 10. A block
// with input `in` and branch widths: BN on `in`, then BN before every later conv, plus a 1x1 projection
// from `in` when the shape changes. Bottleneck: in -> w (1x1) -> w (3x3) -> 4w (1x1).
int64_t cifar_preact_params(int64_t n, bool bottleneck) {
  int64_t total = 3 * 16 * 9;
  int64_t in = 16;
  for (int64_t w : {16, 32, 64}) {
    const int64_t out = bottleneck ? 4 * w : w;
    auto block = [&](int64_t c) {
      const int64_t branch =
          bottleneck ? 2 * c + c * w + 2 * w + 9 * w * w + 2 * w + w * out : 2 * c + 9 * c * w + 2 * w + 9 * w * w;
      return branch + (c != out ? c * out : 0);
    };
    total += block(in) + (n - 1) * block(out);
    in = out;
  }
  return total + 2 * in + in * 10 + 10;
}

TEST(CifarPreactResNet, HandCountedParameters) {
  EXPECT_EQ(cifar_preact_params(18, false), 1'730'522);
  EXPECT_EQ(cifar_preact_params(18, true), 1'703'258);
  EXPECT_EQ(cifar_preact_params(111, true), 10'327'706);
  EXPECT_EQ(totals("preact_resnet110").params, 1'730'522);
  EXPECT_EQ(totals("preact_resnet164").params, 1'703'258);
  EXPECT_EQ(totals("preact_resnet1001").params, 10'327'706);
  EXPECT_EQ(totals("preact_resnet164", {.depth = 1001}).params, 10'327'706);
  EXPECT_EQ(totals("preact_resnet110", {.depth = 20}).params, cifar_preact_params(3, false));
}

// He et al. 2016, table 2/3: ResNet-164 1.7M, ResNet-1001 10.2M. 164: 1,703,258 -> 1.7M agrees. 1001:
// the network of the authors' resnet-pre-act.lua has 10,327,706 parameters, 10.3M; its convolution and
// fc weights alone are 10,178,490, 10.2M. The paper's figure matches that count without the BN scales
// and shifts (149,216); the 2015 paper's 19.4M for ResNet-1202 includes them (19,421,274 with, 19.33M
// without), so the two papers appear to count differently. We check both.
TEST(CifarPreactResNet, ParametersAgainstIdentityMappingsPaper) {
  EXPECT_EQ(printed(totals("preact_resnet164").params, 1e6, 1), "1.7");
  const Graph g = build_model("preact_resnet1001");
  EXPECT_EQ(printed(analyze(g).total.params, 1e6, 1), "10.3");
  EXPECT_EQ(weight_params(g), 10'178'490);
  EXPECT_EQ(printed(weight_params(g), 1e6, 1), "10.2");
}

TEST(CifarPreactResNet, Structure) {
  const Graph g = build_model("preact_resnet164");
  EXPECT_FALSE(g.has_node("bn1"));  // bare stem conv
  EXPECT_EQ(find_param(g, "layer1.0.bn1.weight")->shape, (Dims{16}));
  EXPECT_EQ(find_param(g, "layer1.0.downsample.0.weight")->shape, (Dims{64, 16, 1, 1}));
  EXPECT_EQ(find_param(g, "layer1.1.downsample.0.weight"), nullptr);
  // resnet-pre-act.lua strides on the first 1x1.
  EXPECT_EQ(output_of(g, "layer2.0.conv1"), (Dims{1, 32, 16, 16}));
  EXPECT_EQ(module_output(g, "layer3"), (Dims{1, 256, 8, 8}));
  EXPECT_EQ(find_param(g, "bn_final.weight")->shape, (Dims{256}));
  expect_invalid_argument([] { build_model("preact_resnet164", {.depth = 165}); }, {"ModelOptions::depth", "9n+2"});
  expect_invalid_argument([] { build_model("preact_resnet110", {.depth = 1001}); }, {"ModelOptions::depth", "6n+2"});
}

// ---------------------------------------------------------------------------------------------------
// Wide ResNets: Zagoruyko & Komodakis 2016
// ---------------------------------------------------------------------------------------------------

// WRN-d-k: n = (d - 4) / 6 pre-activation basic blocks per stage at 16k, 32k, 64k maps; a bare 3x3 stem
// to 16, a 1x1 projection wherever the shape changes, final BN, fc -> 10.
int64_t wrn_params(int64_t n, int64_t k) {
  int64_t total = 3 * 16 * 9;
  int64_t in = 16;
  for (int64_t w : {16 * k, 32 * k, 64 * k}) {
    auto block = [w](int64_t c) { return 2 * c + 9 * c * w + 2 * w + 9 * w * w + (c != w ? c * w : 0); };
    total += block(in) + (n - 1) * block(w);
    in = w;
  }
  return total + 2 * in + in * 10 + 10;
}

TEST(Wrn, HandCountedParametersAndPaperFigures) {
  EXPECT_EQ(wrn_params(4, 10), 36'479'194);
  EXPECT_EQ(totals("wrn28_10").params, 36'479'194);
  EXPECT_EQ(printed(totals("wrn28_10").params, 1e6, 1), "36.5");
  const Totals wrn40_4 = totals("wrn28_10", {.depth = 40, .width = 4});
  EXPECT_EQ(wrn40_4.params, wrn_params(6, 4));
  EXPECT_EQ(printed(wrn40_4.params, 1e6, 1), "8.9");
  const Totals wrn16_8 = totals("wrn28_10", {.depth = 16, .width = 8});
  EXPECT_EQ(wrn16_8.params, wrn_params(2, 8));
  EXPECT_EQ(printed(wrn16_8.params, 1e6, 1), "11.0");
}

TEST(Wrn, StructureAndOptions) {
  const Graph g = build_model("wrn28_10");
  EXPECT_EQ(find_param(g, "layer1.0.downsample.0.weight")->shape, (Dims{160, 16, 1, 1}));
  EXPECT_EQ(module_output(g, "layer3"), (Dims{1, 640, 8, 8}));
  EXPECT_EQ(g.shape(g.outputs()[0]), (Dims{1, 10}));
  // k = 1 keeps 16 maps in the first stage: no projection there.
  EXPECT_FALSE(build_model("wrn28_10", {.width = 1}).has_node("layer1.0.downsample.0"));
  expect_invalid_argument([] { build_model("wrn28_10", {.depth = 27}); }, {"ModelOptions::depth", "6n+4"});
  expect_invalid_argument([] { build_model("wrn28_10", {.groups = 2}); }, {"ModelOptions::groups"});
}

}  // namespace
}  // namespace cnnzoo
