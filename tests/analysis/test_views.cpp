// The three views of an analysis (the papers' layers, every node, the module tree) against torchinfo's
// figures and hand counts, and the totals that do not depend on the view.
#include <gtest/gtest.h>

#include "analysis/find_row.h"
#include "analysis/units.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

using test::row;

// torchinfo on torchvision's resnet18: Conv2d 9,408 and BatchNorm2d 128 as rows of their own; 11,689,512
// parameters, all trainable.
TEST(Views, ResNet18NodesAsTorchinfoAndLayersWithWhatTheyFold) {
  const Graph g = build_model("resnet18", {.batch = 32});
  const Analysis nodes = analyze(g, {.all_nodes = true});
  EXPECT_EQ(nodes.view, RowView::Nodes);
  EXPECT_EQ(row(nodes, "conv1").params, 64 * 3 * 7 * 7);
  EXPECT_EQ(row(nodes, "conv1").params, 9408);
  EXPECT_EQ(row(nodes, "bn1").params, 128);
  EXPECT_EQ(row(nodes, "bn1").buffers, 64 + 64 + 1);  // running_mean, running_var, num_batches_tracked
  EXPECT_TRUE(row(nodes, "conv1").folded.empty());

  const Analysis layers = analyze(g);
  const LayerRow& conv1 = row(layers, "conv1");
  EXPECT_EQ(conv1.params, 9408 + 128);
  ASSERT_EQ(conv1.folded.size(), 2u);
  EXPECT_EQ(conv1.folded[0].name, "bn1");
  EXPECT_EQ(conv1.folded[0].op, "batchnorm");
  EXPECT_EQ(conv1.folded[0].params, 128);
  EXPECT_EQ(conv1.folded[1].name, "relu");
  EXPECT_EQ(conv1.folded[1].params, 0);
  EXPECT_EQ(row_kind(conv1), "conv+batchnorm+relu");
  EXPECT_EQ(row_kind(row(layers, "maxpool")), "maxpool");

  EXPECT_EQ(layers.total.params, 11'689'512);
  EXPECT_EQ(nodes.total.params, 11'689'512);
  // 20 batch norms over 64 + 4x64 + 5x128 + 5x256 + 5x512 = 4,800 channels: two statistics per channel and
  // one counter each.
  EXPECT_EQ(layers.total.buffers, 2 * 4800 + 20);
}

TEST(Views, ShapesCarryTheBatchAndTheRowsInput) {
  const Analysis a = analyze(build_model("resnet18", {.batch = 32}));
  EXPECT_EQ(row(a, "conv1").input, (Dims{32, 3, 224, 224}));
  EXPECT_EQ(row(a, "conv1").output, (Dims{32, 64, 112, 112}));
  EXPECT_EQ(row(a, "maxpool").input, (Dims{32, 64, 112, 112}));
  EXPECT_EQ(row(a, "layer1.0.conv1").input, (Dims{32, 64, 56, 56}));
  EXPECT_EQ(row(a, "layer2.0.conv1").output, (Dims{32, 128, 28, 28}));
  EXPECT_EQ(row(a, "fc").input, (Dims{32, 512}));
  EXPECT_EQ(row(a, "fc").output, (Dims{32, 1000}));
}

TEST(Views, ModuleTreeSumsItsMembers) {
  const Graph g = build_model("resnet18");
  const Analysis tree = analyze(g, {.depth_view = 3});
  EXPECT_EQ(tree.view, RowView::Modules);
  EXPECT_EQ(tree.depth_view, 3);
  const LayerRow& layer1 = row(tree, "layer1");
  EXPECT_EQ(layer1.level, 1);
  EXPECT_EQ(layer1.op, "module");
  // Four 3x3 convolutions 64 -> 64 and four batch norms of 64 channels.
  EXPECT_EQ(layer1.params, 4 * 64 * 64 * 9 + 4 * 128);
  EXPECT_EQ(layer1.params, params_under(g, "layer1"));
  EXPECT_EQ(layer1.macs, macs_under(g, "layer1"));
  EXPECT_EQ(layer1.params, row(tree, "layer1.0").params + row(tree, "layer1.1").params);
  EXPECT_EQ(layer1.macs, row(tree, "layer1.0").macs + row(tree, "layer1.1").macs);
  EXPECT_EQ(layer1.activation_bytes, row(tree, "layer1.0").activation_bytes + row(tree, "layer1.1").activation_bytes);
  EXPECT_EQ(layer1.input, (Dims{1, 64, 56, 56}));
  EXPECT_EQ(layer1.output, (Dims{1, 64, 56, 56}));
  EXPECT_EQ(row(tree, "layer1.0").level, 2);
  const LayerRow& leaf = row(tree, "layer1.0.conv1");
  EXPECT_EQ(leaf.level, 3);
  EXPECT_EQ(leaf.op, "conv");
  EXPECT_EQ(leaf.params, 64 * 64 * 9);
  // The tree in the order the nodes run: layer1, then its first block, then that block's first node.
  const auto at = [&](const std::string& name) {
    for (std::size_t i = 0; i < tree.layers.size(); ++i) {
      if (tree.layers[i].name == name) return i;
    }
    return tree.layers.size();
  };
  EXPECT_EQ(at("layer1.0"), at("layer1") + 1);
  EXPECT_EQ(at("layer1.0.conv1"), at("layer1") + 2);
  EXPECT_EQ(row(tree, "conv1").level, 1);  // a top-level node is a leaf at level 1
  EXPECT_EQ(row(tree, "conv1").params, 9408);

  // The top level sums to the totals, at every depth.
  for (int depth : {1, 2, 3}) {
    SCOPED_TRACE(depth);
    const Analysis a = analyze(g, {.depth_view = depth});
    int64_t params = 0, macs = 0, bytes = 0;
    for (const LayerRow& r : a.layers) {
      EXPECT_LE(r.level, depth);
      if (r.level != 1) continue;
      params += r.params;
      macs += r.macs;
      bytes += r.activation_bytes;
    }
    EXPECT_EQ(params, a.total.params);
    EXPECT_EQ(macs, a.total.macs);
    EXPECT_EQ(bytes, a.total.activation_bytes);
  }
  EXPECT_EQ(analyze(g, {.depth_view = 1}).layers.size(), 11u);  // conv1 bn1 relu maxpool layer1-4 avgpool flatten fc
}

TEST(Views, TheActivationTotalIsTheSameInEveryView) {
  for (const char* name : {"resnet18", "googlenet", "densenet121", "alexnet"}) {
    SCOPED_TRACE(name);
    const Graph g = build_model(name, {.batch = 2});
    const Analysis layers = analyze(g);
    int64_t rows = 0;
    for (const LayerRow& r : layers.layers) rows += r.activation_bytes;
    EXPECT_EQ(layers.total.activation_bytes, rows);
    EXPECT_EQ(analyze(g, {.all_nodes = true}).total.activation_bytes, rows);
    for (int depth : {1, 2, 3}) EXPECT_EQ(analyze(g, {.depth_view = depth}).total.activation_bytes, rows);
  }
}

TEST(Views, BadDepthViews) {
  const Graph g = build_model("resnet18");
  EXPECT_THROW(analyze(g, {.depth_view = 0}), InvalidArgument);
  EXPECT_THROW(analyze(g, {.all_nodes = true, .depth_view = 2}), InvalidArgument);
}

TEST(Views, TheAnalysisNamesWhatWasBuilt) {
  EXPECT_EQ(analyze(build_model("resnet56", {.depth = 110})).model, "resnet110");
  EXPECT_EQ(analyze(build_model("resnet56")).model, "resnet56");
  EXPECT_EQ(build_model("plain20", {.depth = 56}).name(), "plain56");
  EXPECT_EQ(build_model("wrn28_10", {.depth = 40, .width = 4}).name(), "wrn40_4");
  EXPECT_EQ(build_model("wrn28_10").name(), "wrn28_10");
  EXPECT_EQ(build_model("wrn28_10", {.width = 2}).name(), "wrn28_2");
  EXPECT_EQ(build_model("resnet50", {.width = 4, .groups = 32}).name(), "resnext50_32x4d");
  EXPECT_EQ(build_model("resnet50", {.width = 128}).name(), "wide_resnet50_2");
  EXPECT_EQ(build_model("resnext50_32x4d", {.width = 64, .groups = 1}).name(), "resnet50");
  EXPECT_EQ(build_model("se_resnet50", {.width = 4, .groups = 32}).name(), "se_resnet50_32x4d");
  // A pre-activation depth registered with the other block kind says which kind was built.
  EXPECT_EQ(build_model("preact_resnet110", {.depth = 56}).name(), "preact_resnet56");
  EXPECT_EQ(build_model("preact_resnet110", {.depth = 164}).name(), "preact_resnet164_basic");
  EXPECT_EQ(build_model("preact_resnet164", {.depth = 110}).name(), "preact_resnet110_bottleneck");
  EXPECT_EQ(build_model("densenet_bc100", {.depth = 40}).name(), "densenet_bc40");
  EXPECT_EQ(build_model("densenet_bc100", {.growth_rate = 24}).name(), "densenet_bc100_k24");
  EXPECT_EQ(build_model("densenet121", {.growth_rate = 48}).name(), "densenet121_k48");
}

TEST(Units, NoNonZeroFigurePrintsAsZero) {
  EXPECT_EQ(scaled_text(0, 1e6), "0");
  EXPECT_EQ(scaled_text(640, 1e6), "0.00064");  // resnet20's fc: 64 x 10 multiply-adds
  EXPECT_EQ(scaled_text(1290, 1e6), "0.0013");
  EXPECT_EQ(scaled_text(40, 1024), "0.039");
  EXPECT_EQ(scaled_text(802816, 1024), "784.0");  // the lecture's AlexNet conv1, 64x56x56 fp32
  EXPECT_EQ(scaled_text(118013952, 1e6), "118.0");
  EXPECT_EQ(scaled_text(100000, 1e6), "0.1");
}

}  // namespace
}  // namespace cnnzoo
