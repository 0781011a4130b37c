// A loop over the registry: every model builds at its default input and verifies; the
// torchvision-compatible ones have exactly torchvision's parameter names, shapes, counts and
// multiply-adds (tests/data/torchvision_reference.json, made by scripts/torchvision_reference.py) and
// the GFLOPS torchvision publishes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"
#include "models/zoo_support.h"

namespace cnnzoo {
namespace {

// torchvision's published "GFLOPS" (= GMACs) at 224x224, from its model documentation tables.
const std::map<std::string, double> kPublishedGflops{
    {"alexnet", 0.71},           {"vgg11", 7.61},           {"vgg11_bn", 7.61},          {"vgg13", 11.31},
    {"vgg13_bn", 11.31},         {"vgg16", 15.47},          {"vgg16_bn", 15.47},         {"vgg19", 19.63},
    {"vgg19_bn", 19.63},         {"googlenet", 1.50},       {"resnet18", 1.81},          {"resnet34", 3.66},
    {"resnet50", 4.09},          {"resnet101", 7.80},       {"resnet152", 11.51},        {"densenet121", 2.83},
    {"densenet161", 7.73},       {"densenet169", 3.36},     {"densenet201", 4.29},       {"wide_resnet50_2", 11.40},
    {"wide_resnet101_2", 22.75}, {"resnext50_32x4d", 4.23}, {"resnext101_32x8d", 16.41}, {"inception_v3", 5.71},
};

std::vector<std::string> model_names(bool torchvision_only) {
  std::vector<std::string> names;
  for (const ModelInfo& m : list_models()) {
    if (!torchvision_only || m.torchvision) names.push_back(m.name);
  }
  return names;
}

TEST(Registry, HasEveryModelTheIssueNames) {
  for (const char* name : {"alexnet",
                           "vgg11",
                           "vgg11_bn",
                           "vgg13",
                           "vgg13_bn",
                           "vgg16",
                           "vgg16_bn",
                           "vgg19",
                           "vgg19_bn",
                           "googlenet",
                           "resnet18",
                           "resnet34",
                           "resnet50",
                           "resnet101",
                           "resnet152",
                           "densenet121",
                           "densenet161",
                           "densenet169",
                           "densenet201",
                           "wide_resnet50_2",
                           "wide_resnet101_2",
                           "resnext50_32x4d",
                           "resnext101_32x8d",
                           "alexnet_paper",
                           "zfnet",
                           "googlenet_paper",
                           "resnet50_v1",
                           "resnet101_v1",
                           "resnet152_v1",
                           "preact_resnet18",
                           "preact_resnet34",
                           "preact_resnet50",
                           "preact_resnet101",
                           "preact_resnet152",
                           "se_resnet18",
                           "se_resnet34",
                           "se_resnet50",
                           "se_resnet101",
                           "se_resnet152",
                           "densenet264",
                           "resnet20",
                           "resnet32",
                           "resnet44",
                           "resnet56",
                           "resnet110",
                           "resnet1202",
                           "plain20",
                           "plain32",
                           "plain44",
                           "plain56",
                           "plain110",
                           "preact_resnet110",
                           "preact_resnet164",
                           "preact_resnet1001",
                           "densenet_bc100",
                           "wrn28_10",
                           "inception_v3",
                           "inception_v4",
                           "inception_resnet_v2"}) {
    EXPECT_NO_THROW(find_model(name)) << name;
  }
}

TEST(Registry, EveryModelBuildsVerifiesAndEndsInItsClasses) {
  for (const ModelInfo& m : list_models()) {
    SCOPED_TRACE(m.name);
    const Graph g = build_model(m.name, {.batch = 2});
    EXPECT_NO_THROW(verify(g));
    ASSERT_FALSE(g.outputs().empty());
    EXPECT_EQ(g.shape(g.outputs().front()), (Dims{2, m.default_classes}));
    const Analysis a = analyze(g);
    EXPECT_GT(a.total.params, 0);
    EXPECT_GT(a.total.macs, 0);
  }
}

TEST(Registry, NumClassesChangesOnlyTheClassifier) {
  for (const ModelInfo& m : list_models()) {
    SCOPED_TRACE(m.name);
    const Graph g = build_model(m.name, {.num_classes = 7});
    EXPECT_EQ(g.shape(g.outputs().front()), (Dims{1, 7}));
  }
}

TEST(Registry, UnknownModelListsTheKnownOnes) {
  try {
    build_model("resnet51");
    FAIL() << "expected UnknownNameError";
  } catch (const UnknownNameError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown model 'resnet51'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("resnet50"), std::string::npos) << msg;
    EXPECT_NE(msg.find("densenet121"), std::string::npos) << msg;
  }
}

TEST(Registry, AnOptionAModelDoesNotTakeIsNamed) {
  try {
    build_model("vgg16", {.growth_rate = 12});
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "model 'vgg16' does not take ModelOptions::growth_rate (it takes: none)");
  }
}

// vgg16_bn without its batch norms is torchvision's vgg16: the same state_dict, in order, under vgg16's name.
TEST(Registry, VggBnWithoutBatchNormIsThePlainVgg) {
  for (const char* depth : {"11", "16", "19"}) {
    const Graph without = build_model(fmt::format("vgg{}_bn", depth), {.no_bn = true});
    EXPECT_EQ(without.name(), fmt::format("vgg{}", depth));
    EXPECT_EQ(test::state_dict(without), test::torchvision_state_dict(fmt::format("vgg{}", depth))) << depth;
  }
  try {
    build_model("vgg16", {.no_bn = true});
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "model 'vgg16' does not take ModelOptions::no_bn (it takes: none)");
  }
}

// The reference key of a model as built: googlenet with its auxiliary heads is "googlenet_aux".
struct TorchvisionCase {
  std::string model;
  bool aux_logits = false;
  std::string key() const { return aux_logits ? model + "_aux" : model; }
};

class Torchvision : public ::testing::TestWithParam<TorchvisionCase> {};

TEST_P(Torchvision, ParamsBuffersMacsAndOutputMatch) {
  const TorchvisionCase& c = GetParam();
  const nlohmann::json& ref = test::torchvision(c.key());
  const Graph g = build_model(c.model, {.aux_logits = c.aux_logits});
  const Analysis a = analyze(g);
  EXPECT_EQ(a.total.params, ref["params"].get<int64_t>());
  EXPECT_EQ(a.total.buffers, ref["buffers"].get<int64_t>());
  EXPECT_EQ(a.total.macs, ref["macs"].get<int64_t>());
  EXPECT_EQ(g.shape(g.outputs().at(0)), ref["output"].get<Dims>());
}

TEST_P(Torchvision, StateDictMatchesInOrder) {
  const TorchvisionCase& c = GetParam();
  const test::StateDict ours = test::state_dict(build_model(c.model, {.aux_logits = c.aux_logits}));
  const test::StateDict theirs = test::torchvision_state_dict(c.key());
  ASSERT_EQ(ours.size(), theirs.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    ASSERT_EQ(ours[i].first, theirs[i].first) << "state_dict entry " << i;
    ASSERT_EQ(ours[i].second, theirs[i].second) << ours[i].first;
  }
}

// Every Conv2d, Linear and pooling module torchvision's forward hooks saw has a node of the same name
// and output shape (functional pools, such as DenseNet's last, are not modules and not listed).
TEST_P(Torchvision, EveryHookedModuleHasItsOutputShape) {
  const TorchvisionCase& c = GetParam();
  const Graph g = build_model(c.model, {.aux_logits = c.aux_logits});
  for (const auto& call : test::torchvision(c.key()).at("conv_linear_shapes")) {
    const auto module = call.at(0).get<std::string>();
    ASSERT_TRUE(g.has_node(module)) << "torchvision module " << module << " has no node";
    EXPECT_EQ(test::output_of(g, module), call.at(1).get<Dims>()) << module;
  }
}

TEST(TorchvisionGflops, EveryCompatibleModelHasTorchvisionsPublishedFigure) {
  for (const std::string& name : model_names(true)) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(kPublishedGflops.contains(name));
    const double gmacs = static_cast<double>(analyze(build_model(name)).total.macs) / 1e9;
    EXPECT_NEAR(gmacs, kPublishedGflops.at(name), 0.005);
  }
}

std::vector<TorchvisionCase> torchvision_cases() {
  std::vector<TorchvisionCase> cases;
  for (const std::string& name : model_names(true)) cases.push_back({name});
  cases.push_back({"googlenet", true});
  cases.push_back({"inception_v3", true});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Zoo, Torchvision, ::testing::ValuesIn(torchvision_cases()),
                         [](const auto& info) { return info.param.key(); });

// Inception-v4 and Inception-ResNet-v2 against scripts/inception_paper_models.py, their second definition from the
// paper with timm's names, counted and hooked by the same script.
INSTANTIATE_TEST_SUITE_P(PaperWithTimmNames, Torchvision,
                         ::testing::Values(TorchvisionCase{"inception_v4"}, TorchvisionCase{"inception_resnet_v2"}),
                         [](const auto& info) { return info.param.key(); });

}  // namespace
}  // namespace cnnzoo
