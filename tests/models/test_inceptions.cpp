// Inception-v3, Inception-v4 and Inception-ResNet-v2: their published sizes to the last digit, the shapes the
// papers' figures give, and their options. The state_dicts, hooked shapes and MACs are checked against
// torchvision and the paper definition in test_registry.cpp.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"
#include "models/zoo_support.h"

namespace cnnzoo {
namespace {

struct Published {
  std::string model;
  bool aux_logits;
  int64_t params;
  int64_t macs;
};

// Parameters: torchvision 0.14's docs (Inception_V3_Weights: 27,161,264, its aux head kept; 23,834,568 without it,
// as torchvision builds aux_logits=False) and timm's model cards (inception_v4 42.7 M, inception_resnet_v2 55.8 M,
// exactly 42,679,816 and 55,843,464 as timm counts its modules). MACs at 299x299, batch 1: torchvision lists
// 5.71 GFLOPS for Inception-v3 counting multiply-adds, timm 12.3 and 13.2 GMACs; the exact figures are those of
// scripts/torchvision_reference.py's hooks.
const Published kPublished[] = {
    {"inception_v3", false, 23'834'568, 5'713'216'096},
    {"inception_v3", true, 27'161'264, 5'718'899'296},
    {"inception_v4", false, 42'679'816, 12'253'974'624},
    {"inception_resnet_v2", false, 55'843'464, 13'155'794'016},
};

TEST(Inceptions, ParametersAndMultiplyAddsAsPublished) {
  for (const Published& p : kPublished) {
    SCOPED_TRACE(p.model + (p.aux_logits ? " with aux" : ""));
    const Analysis a = analyze(build_model(p.model, {.aux_logits = p.aux_logits}));
    EXPECT_EQ(a.total.params, p.params);
    EXPECT_EQ(a.total.macs, p.macs);
  }
}

// The grids of the papers' figures: 35x35, 17x17 and 8x8 after the stem and each reduction of a 299 input.
TEST(Inceptions, GridsAndWidthsOfThePapers) {
  const Graph v3 = build_model("inception_v3");
  EXPECT_EQ(test::output_of(v3, "Mixed_5d.cat"), (Dims{1, 288, 35, 35}));
  EXPECT_EQ(test::output_of(v3, "Mixed_6e.cat"), (Dims{1, 768, 17, 17}));
  EXPECT_EQ(test::output_of(v3, "Mixed_7c.cat"), (Dims{1, 2048, 8, 8}));
  const Graph v4 = build_model("inception_v4");
  EXPECT_EQ(test::output_of(v4, "features.5.cat"), (Dims{1, 384, 35, 35}));  // figure 3's stem output
  EXPECT_EQ(test::output_of(v4, "features.10.cat"), (Dims{1, 1024, 17, 17}));
  EXPECT_EQ(test::output_of(v4, "features.21.cat"), (Dims{1, 1536, 8, 8}));
  const Graph res = build_model("inception_resnet_v2");
  EXPECT_EQ(test::output_of(res, "repeat.9.relu"), (Dims{1, 320, 35, 35}));
  EXPECT_EQ(test::output_of(res, "repeat_1.19.relu"), (Dims{1, 1088, 17, 17}));
  EXPECT_EQ(test::output_of(res, "block8.add"), (Dims{1, 2080, 8, 8}));
  EXPECT_FALSE(res.has_node("block8.relu")) << "the last block has no ReLU";
  EXPECT_FALSE(res.has_node("block8.scale")) << "the last block is not scaled";
}

double scale_of(const Graph& g, const std::string& node) {
  return std::get<attr::Scale>(g.node(*g.find_node(node)).attrs).factor;
}

TEST(Inceptions, ResidualScalesAreAnOption) {
  const Graph published = build_model("inception_resnet_v2");
  EXPECT_EQ(scale_of(published, "repeat.0.scale"), 0.17);
  EXPECT_EQ(scale_of(published, "repeat_1.0.scale"), 0.10);
  EXPECT_EQ(scale_of(published, "repeat_2.8.scale"), 0.20);
  const Graph g = build_model("inception_resnet_v2", {.residual_scales = std::vector<double>{0.3, 0.2, 0.1}});
  EXPECT_EQ(scale_of(g, "repeat.3.scale"), 0.3);
  EXPECT_EQ(scale_of(g, "repeat_1.3.scale"), 0.2);
  EXPECT_EQ(scale_of(g, "repeat_2.3.scale"), 0.1);
  // The scale costs one multiplication per element and no parameter.
  EXPECT_EQ(analyze(g).total.params, analyze(published).total.params);
}

TEST(Inceptions, BadOptionsAreNamed) {
  try {
    build_model("inception_resnet_v2", {.residual_scales = std::vector<double>{0.1, 0.2}});
    FAIL() << "expected OptionError";
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(),
                 "ModelOptions::residual_scales needs 3 finite numbers (35x35, 17x17 and 8x8 blocks; the paper's are "
                 "0.17,0.1,0.2), got 0.1,0.2");
  }
  EXPECT_THROW(build_model("inception_v4", {.residual_scales = std::vector<double>{0.1, 0.1, 0.1}}), InvalidArgument);
  try {
    build_model("inception_v4", {.input = Dims{3, 74, 74}});
    FAIL() << "expected OptionError";
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(),
                 "inception_v4 needs an input of at least 75x75 (its unpadded stem and reductions leave nothing of "
                 "a smaller one), got 74x74");
  }
  EXPECT_NO_THROW(build_model("inception_v3", {.input = Dims{3, 75, 75}}));
  try {
    build_model("inception_v3", {.input = Dims{3, 224, 224}, .aux_logits = true});
    FAIL() << "expected OptionError";
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("needs Mixed_6e's map to be at least 17x17"), std::string::npos) << e.what();
  }
}

// --until takes each network's module names, as its state_dict spells them.
TEST(Inceptions, UntilTakesTheirModuleNames) {
  for (const auto& [model, module] :
       {std::pair{"inception_v3", "Mixed_5b"}, std::pair{"inception_v3", "AuxLogits"},
        std::pair{"inception_v4", "features.9"}, std::pair{"inception_resnet_v2", "mixed_6a"},
        std::pair{"inception_resnet_v2", "repeat_1"}}) {
    SCOPED_TRACE(std::string(model) + " --until " + module);
    const Graph g = build_model(model, {.aux_logits = std::string(module) == "AuxLogits"});
    const Analysis whole = analyze(g);
    const Analysis part = analyze(g, {.until = module});
    EXPECT_LT(part.total.macs, whole.total.macs);
    EXPECT_GT(part.total.macs, 0);
  }
}

// torchvision's transform_input: a first node that maps x to x std / 0.5 + (mean - 0.5) / 0.5 per channel, with
// ImageNet's mean and std; no parameter, 2 FLOPs per input element. The logits are test_pytorch_parity.cpp's.
TEST(Inceptions, TransformInputIsTorchvisionsFirstNode) {
  for (const char* model : {"inception_v3", "googlenet"}) {
    SCOPED_TRACE(model);
    const Graph plain = build_model(model);
    const Graph g = build_model(model, {.transform_input = true});
    const Node& first = g.node(0);
    ASSERT_EQ(first.op, OpKind::ChannelAffine);
    EXPECT_EQ(first.name, "transform_input");
    EXPECT_EQ(first.inputs, std::vector<ValueId>{g.inputs()[0]});
    const auto& a = std::get<attr::ChannelAffine>(first.attrs);
    // torchvision: x[:, 0] * (0.229 / 0.5) + (0.485 - 0.5) / 0.5, and so on for 0.224, 0.456 and 0.225, 0.406.
    EXPECT_EQ(a.scale, (std::vector<double>{0.229 / 0.5, 0.224 / 0.5, 0.225 / 0.5}));
    EXPECT_EQ(a.shift, (std::vector<double>{(0.485 - 0.5) / 0.5, (0.456 - 0.5) / 0.5, (0.406 - 0.5) / 0.5}));
    const Analysis with = analyze(g), without = analyze(plain);
    EXPECT_EQ(with.total.params, without.total.params);
    EXPECT_EQ(with.total.macs, without.total.macs);
    const Dims& in = find_model(model).default_input;
    EXPECT_EQ(with.total.flops - without.total.flops, 2 * in[0] * in[1] * in[2]);
  }
  try {
    build_model("inception_v3", {.input = Dims{1, 299, 299}, .transform_input = true});
    FAIL() << "expected OptionError";
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(),
                 "inception_v3's transform_input maps the 3 channels of an RGB image normalised by ImageNet's mean and "
                 "std; this input has 1: drop the option or give a 3-channel input");
  }
  // Only the models torchvision gives the option to take it.
  EXPECT_THROW(build_model("inception_v4", {.transform_input = true}), OptionError);
  EXPECT_THROW(build_model("resnet18", {.transform_input = true}), OptionError);
}

TEST(Inceptions, AuxiliaryLossWeightsAreTheAuthors) {
  EXPECT_EQ(find_model("googlenet").aux_loss_weight, 0.3);
  EXPECT_EQ(find_model("inception_v3").aux_loss_weight, 0.4);
  EXPECT_EQ(find_model("inception_v4").aux_loss_weight, 0.0);
}

}  // namespace
}  // namespace cnnzoo
