// GoogLeNet and DenseNet: torchvision parity (parameters, buffers, MACs, the full state_dict and every
// hooked layer's output shape), the papers' published figures, the aux heads and the options.
//
// Every expected number is either published (torchvision's reference JSON, the papers' tables) or counted
// by hand in this file; where a publication disagrees with the hand count, the comment says why.
#include <gtest/gtest.h>

#include <cmath>
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
using test::StateDict;

int64_t count(const Graph& g, ParamKind kind) {
  int64_t total = 0;
  for (const Node& n : g.nodes()) {
    for (const ParamSpec& p : n.params) {
      if (p.kind == kind) total += numel(p.shape);
    }
  }
  return total;
}

// Convolution and linear weights only, no biases or BN: what GoogLeNet's table 1 counts.
int64_t weights_under(const Graph& g, const std::string& prefix) {
  int64_t total = 0;
  for (const Node& n : g.nodes()) {
    if (n.name != prefix && !n.name.starts_with(prefix + ".")) continue;
    if (n.op != OpKind::Conv && n.op != OpKind::Linear) continue;
    for (const ParamSpec& p : n.params) {
      if (p.name.ends_with(".weight")) total += numel(p.shape);
    }
  }
  return total;
}

const Node& node(const Graph& g, const std::string& name) {
  const auto id = g.find_node(name);
  if (!id) throw std::runtime_error("no node " + name);
  return g.node(*id);
}

// Whether a published figure, in the paper's unit, is the exact count rounded (a half either way).
bool within_rounding(int64_t exact, double unit, int64_t published) {
  return std::abs(static_cast<double>(exact) / unit - static_cast<double>(published)) <= 0.5;
}

// ---------------------------------------------------------------------------------------------------
// GoogLeNet, torchvision
// ---------------------------------------------------------------------------------------------------

TEST(GooglenetTorchvision, MatchesTorchvisionReference) {
  const Graph g = build_model("googlenet");
  EXPECT_EQ(count(g, ParamKind::Trainable), 6'624'904);
  EXPECT_EQ(analyze(g).total.macs, 1'498'376'192);
  EXPECT_EQ(g.outputs().size(), 1u);  // the registry test compares the rest with torchvision
}

TEST(GooglenetTorchvision, BasicConvIsConvWithoutBiasThenBnWithEps1e3) {
  const Graph g = build_model("googlenet");
  EXPECT_EQ(node(g, "conv1.conv").params.size(), 1u);  // weight only
  const auto& bn = std::get<attr::BatchNorm>(node(g, "inception5b.branch3.1.bn").attrs);
  EXPECT_DOUBLE_EQ(bn.eps, 1e-3);
  // torchvision's "5x5" branch is a 3x3 convolution.
  const auto& conv = std::get<attr::Conv>(node(g, "inception3a.branch3.1.conv").attrs);
  EXPECT_EQ(conv.kernel, Hw(3));
  EXPECT_EQ(conv.pad, Hw(1));
  // The branch4 pool is 3/1 pad 1 in ceil mode; maxpool4 is 2x2/2.
  const auto& pool = std::get<attr::Pool>(node(g, "inception4a.branch4.0").attrs);
  EXPECT_EQ(pool.kernel, Hw(3));
  EXPECT_EQ(pool.stride, Hw(1));
  EXPECT_TRUE(pool.ceil_mode);
  EXPECT_EQ(std::get<attr::Pool>(node(g, "maxpool4").attrs).kernel, Hw(2));
  EXPECT_DOUBLE_EQ(std::get<attr::Dropout>(node(g, "dropout").attrs).p, 0.2);
}

TEST(GooglenetTorchvision, AuxLogitsMatchTorchvisionReference) {
  const Graph g = build_model("googlenet", {.aux_logits = true});
  EXPECT_EQ(count(g, ParamKind::Trainable), 13'004'888);
  EXPECT_EQ(analyze(g).total.macs, 1'506'748'416);
  EXPECT_EQ(g.outputs().size(), 3u);  // main logits, aux2, aux1 as torchvision's GoogLeNetOutputs
}

TEST(GooglenetTorchvision, AuxHeadsByHand) {
  const Graph g = build_model("googlenet", {.aux_logits = true});
  // aux1 reads inception4a (512 channels), aux2 inception4d (528): pooled to 4x4, 1x1 conv to 128 without
  // bias + BN (2 x 128), fc1 2048 -> 1024, fc2 1024 -> 1000.
  const int64_t head = 2 * 128 + (2048 * 1024 + 1024) + (1024 * 1000 + 1000);
  EXPECT_EQ(params_under(g, "aux1"), 512 * 128 + head);
  EXPECT_EQ(params_under(g, "aux2"), 528 * 128 + head);
  EXPECT_EQ(6'624'904 + (512 * 128 + head) + (528 * 128 + head), 13'004'888);
  // MACs: the 1x1 conv on 4x4 maps, then the two linear layers.
  const int64_t fc_macs = 2048 * 1024 + 1024 * 1000;
  EXPECT_EQ(macs_under(g, "aux1"), 16 * 512 * 128 + fc_macs);
  EXPECT_EQ(macs_under(g, "aux2"), 16 * 528 * 128 + fc_macs);

  EXPECT_EQ(g.value(node(g, "aux1.avgpool").inputs[0]).producer, *g.find_node("inception4a.cat"));
  EXPECT_EQ(g.value(node(g, "aux2.avgpool").inputs[0]).producer, *g.find_node("inception4d.cat"));
  EXPECT_EQ(output_of(g, "aux1.avgpool"), (Dims{1, 512, 4, 4}));
  EXPECT_EQ(output_of(g, "aux2.avgpool"), (Dims{1, 528, 4, 4}));
  EXPECT_DOUBLE_EQ(std::get<attr::Dropout>(node(g, "aux1.dropout").attrs).p, 0.7);

  // Outputs in torchvision's GoogLeNetOutputs order: logits, aux_logits2, aux_logits1.
  ASSERT_EQ(g.outputs().size(), 3u);
  EXPECT_EQ(g.value(g.outputs()[0]).producer, *g.find_node("fc"));
  EXPECT_EQ(g.value(g.outputs()[1]).producer, *g.find_node("aux2.fc2"));
  EXPECT_EQ(g.value(g.outputs()[2]).producer, *g.find_node("aux1.fc2"));
  for (ValueId v : g.outputs()) EXPECT_EQ(g.shape(v), (Dims{1, 1000}));
}

TEST(GooglenetTorchvision, AuxHeadsFollowNumClasses) {
  const Graph g = build_model("googlenet", {.num_classes = 10, .aux_logits = true});
  for (ValueId v : g.outputs()) EXPECT_EQ(g.shape(v), (Dims{1, 10}));
}

// ---------------------------------------------------------------------------------------------------
// GoogLeNet, the paper
// ---------------------------------------------------------------------------------------------------

TEST(GooglenetPaper, FeatureMapSizesOfTable1) {
  const Graph g = build_model("googlenet_paper");
  EXPECT_EQ(output_of(g, "conv1"), (Dims{1, 64, 112, 112}));
  EXPECT_EQ(output_of(g, "maxpool1"), (Dims{1, 64, 56, 56}));
  EXPECT_EQ(output_of(g, "conv3"), (Dims{1, 192, 56, 56}));
  EXPECT_EQ(output_of(g, "maxpool2"), (Dims{1, 192, 28, 28}));
  EXPECT_EQ(output_of(g, "inception3a.cat"), (Dims{1, 256, 28, 28}));
  EXPECT_EQ(output_of(g, "inception3b.cat"), (Dims{1, 480, 28, 28}));
  EXPECT_EQ(output_of(g, "maxpool3"), (Dims{1, 480, 14, 14}));
  EXPECT_EQ(output_of(g, "inception4a.cat"), (Dims{1, 512, 14, 14}));
  EXPECT_EQ(output_of(g, "inception4b.cat"), (Dims{1, 512, 14, 14}));
  EXPECT_EQ(output_of(g, "inception4c.cat"), (Dims{1, 512, 14, 14}));
  EXPECT_EQ(output_of(g, "inception4d.cat"), (Dims{1, 528, 14, 14}));
  EXPECT_EQ(output_of(g, "inception4e.cat"), (Dims{1, 832, 14, 14}));
  EXPECT_EQ(output_of(g, "maxpool4"), (Dims{1, 832, 7, 7}));
  EXPECT_EQ(output_of(g, "inception5a.cat"), (Dims{1, 832, 7, 7}));
  EXPECT_EQ(output_of(g, "inception5b.cat"), (Dims{1, 1024, 7, 7}));
  EXPECT_EQ(output_of(g, "avgpool"), (Dims{1, 1024, 1, 1}));
  EXPECT_EQ(g.shape(g.outputs()[0]), (Dims{1, 1000}));
  EXPECT_EQ(g.outputs().size(), 1u);
}

TEST(GooglenetPaper, LrnAndHeadAsFigure3) {
  const Graph g = build_model("googlenet_paper");
  // Figure 3: MaxPool 3x3+2 -> LocalRespNorm -> Conv 1x1 -> Conv 3x3 -> LocalRespNorm -> MaxPool 3x3+2.
  EXPECT_EQ(g.value(node(g, "lrn1").inputs[0]).producer, *g.find_node("maxpool1"));
  EXPECT_EQ(g.value(node(g, "conv2").inputs[0]).producer, *g.find_node("lrn1"));
  EXPECT_EQ(g.value(node(g, "lrn2").inputs[0]).producer, *g.find_node("conv3.relu"));
  EXPECT_EQ(g.value(node(g, "maxpool2").inputs[0]).producer, *g.find_node("lrn2"));
  const auto& lrn = std::get<attr::Lrn>(node(g, "lrn2").attrs);
  EXPECT_EQ(lrn.size, 5);
  EXPECT_DOUBLE_EQ(lrn.alpha, 1e-4);
  EXPECT_DOUBLE_EQ(lrn.beta, 0.75);
  EXPECT_DOUBLE_EQ(lrn.k, 1.0);
  // No BN, biased convolutions, a true 5x5 branch, avgpool 7x7/1, dropout 40%.
  for (const Node& n : g.nodes()) EXPECT_NE(n.op, OpKind::BatchNorm) << n.name;
  const auto& conv = std::get<attr::Conv>(node(g, "inception3a.branch3.1").attrs);
  EXPECT_TRUE(conv.bias);
  EXPECT_EQ(conv.kernel, Hw(5));
  EXPECT_EQ(conv.pad, Hw(2));
  EXPECT_EQ(node(g, "avgpool").op, OpKind::AvgPool);
  EXPECT_EQ(std::get<attr::Pool>(node(g, "avgpool").attrs).kernel, Hw(7));
  EXPECT_DOUBLE_EQ(std::get<attr::Dropout>(node(g, "dropout").attrs).p, 0.4);
}

// Table 1 of Szegedy et al. 2014, per inception block. The paper's "params" are convolution weights only
// (no biases) in K = 1024: inception 3a has 163,328 weights = 159.5K, printed 159K, while with its 368
// biases it would be 159.9K; the 3x3 stage's 114,688 weights are exactly 112K. Its "ops" are
// multiply-adds in millions (10^6), rounded to nearest: 3a 128,049,152 -> 128M.
//
// The hand counts below come from the table's own filter columns: for 3a, 192x64 (1x1) + 192x96 (3x3
// reduce) + 96x128x9 (3x3) + 192x16 (5x5 reduce) + 16x32x25 (5x5) + 192x32 (pool proj) = 163,328, and the
// block's MACs are its weights times the map area (28x28), since every convolution keeps the map size.
//
// The ops column reproduces from them for 7 of the 9 blocks and the 3x3 stage, which confirms the reading of
// the filter columns. It does not for 4a (73.6M, printed 73M) and 5a (51.1M, printed 54M; 5a's 54M would
// need a 5x5 reduce of 48, as 5b has, where the table prints 32). The params column reproduces only for 3a
// and the 3x3 stage: 3b and 4b are 1K off (379.0K vs 380K, 438.0K vs 437K) and the rest 3K to 54K off
// (4c 497.5K vs 463K, 5a 1018K vs 1072K); no rounding rule or bias convention fixes them, so the published
// params column is internally inconsistent with the published filter counts. We keep the filter counts.
TEST(GooglenetPaper, InceptionBlocksAgainstTable1) {
  struct Row {
    const char* block;
    int64_t weights;  // hand count from the filter columns
    int64_t biases;   // one per output channel of the six convolutions
    int64_t map;      // the block's map side
    int64_t paper_k;
    int64_t paper_mops;
    bool params_agree;
    bool ops_agree;
  };
  const Row rows[] = {
      {"inception3a", 163'328, 64 + 96 + 128 + 16 + 32 + 32, 28, 159, 128, true, true},
      {"inception3b", 388'096, 128 + 128 + 192 + 32 + 96 + 64, 28, 380, 304, false, true},
      {"inception4a", 375'552, 192 + 96 + 208 + 16 + 48 + 64, 14, 364, 73, false, false},
      {"inception4b", 448'512, 160 + 112 + 224 + 24 + 64 + 64, 14, 437, 88, false, true},
      {"inception4c", 509'440, 128 + 128 + 256 + 24 + 64 + 64, 14, 463, 100, false, true},
      {"inception4d", 604'672, 112 + 144 + 288 + 32 + 64 + 64, 14, 580, 119, false, true},
      {"inception4e", 867'328, 256 + 160 + 320 + 32 + 128 + 128, 14, 840, 170, false, true},
      {"inception5a", 1'042'432, 256 + 160 + 320 + 32 + 128 + 128, 7, 1072, 54, false, false},
      {"inception5b", 1'442'816, 384 + 192 + 384 + 48 + 128 + 128, 7, 1388, 71, false, true},
  };
  const Graph g = build_model("googlenet_paper");
  for (const Row& r : rows) {
    SCOPED_TRACE(r.block);
    EXPECT_EQ(weights_under(g, r.block), r.weights);
    EXPECT_EQ(params_under(g, r.block), r.weights + r.biases);
    EXPECT_EQ(macs_under(g, r.block), r.weights * r.map * r.map);
    EXPECT_EQ(within_rounding(r.weights, 1024.0, r.paper_k), r.params_agree);
    EXPECT_EQ(within_rounding(r.weights * r.map * r.map, 1e6, r.paper_mops), r.ops_agree);
  }
}

TEST(GooglenetPaper, StemAndClassifierAgainstTable1) {
  const Graph g = build_model("googlenet_paper");
  // The 3x3 stage (conv2 1x1 64 + conv3 3x3 192 on 56x56): 4,096 + 110,592 = 114,688 weights = 112K,
  // 359,661,568 MACs = 360M, both as published.
  const int64_t stage = weights_under(g, "conv2") + weights_under(g, "conv3");
  EXPECT_EQ(stage, 64 * 64 + 64 * 192 * 9);
  EXPECT_TRUE(within_rounding(stage, 1024.0, 112));
  EXPECT_EQ(macs_under(g, "conv2") + macs_under(g, "conv3"), 114'688 * 56 * 56);
  EXPECT_TRUE(within_rounding(114'688 * 56 * 56, 1e6, 360));
  // The linear layer: 1024 x 1000 weights = 1000K, 1.024M MACs = 1M, as published.
  EXPECT_EQ(weights_under(g, "fc"), 1024 * 1000);
  EXPECT_TRUE(within_rounding(1024 * 1000, 1024.0, 1000));
  EXPECT_TRUE(within_rounding(macs_under(g, "fc"), 1e6, 1));
  // conv1 (7x7/2, 3 -> 64 on 112x112) has 9,408 weights = 9.2K and 118,013,952 MACs. The table prints
  // 2.7K and 34M, consistent with each other (2.7K x 112^2 = 34M) but not with a 7x7 conv on 3 channels.
  EXPECT_EQ(weights_under(g, "conv1"), 7 * 7 * 3 * 64);
  EXPECT_EQ(macs_under(g, "conv1"), 9408 * 112 * 112);
  EXPECT_FALSE(within_rounding(9408, 1024.0, 3));
}

TEST(GooglenetPaper, TotalParamsByHand) {
  const Graph g = build_model("googlenet_paper");
  // Inception blocks (weights + biases from the table above), the stem, the classifier.
  const int64_t blocks = 163'696 + 388'736 + 376'176 + 449'160 + 510'104 + 605'376 + 868'352 + 1'043'456 + 1'444'080;
  const int64_t stem = (7 * 7 * 3 * 64 + 64) + (64 * 64 + 64) + (64 * 192 * 9 + 192);
  const int64_t fc = 1024 * 1000 + 1000;
  EXPECT_EQ(count(g, ParamKind::Trainable), blocks + stem + fc);
  EXPECT_EQ(count(g, ParamKind::Buffer), 0);
}

TEST(GooglenetPaper, AuxHeadsAsSection5) {
  const Graph g = build_model("googlenet_paper", {.aux_logits = true});
  // "An average pooling layer with 5x5 filter size and stride 3, resulting in an 4x4x512 output for the
  // (4a), and 4x4x528 for the (4d) stage"; 1x1 conv 128 + ReLU; fc 1024 + ReLU; dropout 70%; linear.
  EXPECT_EQ(node(g, "aux1.avgpool").op, OpKind::AvgPool);
  EXPECT_EQ(output_of(g, "aux1.avgpool"), (Dims{1, 512, 4, 4}));
  EXPECT_EQ(output_of(g, "aux2.avgpool"), (Dims{1, 528, 4, 4}));
  EXPECT_EQ(params_under(g, "aux1"), (512 * 128 + 128) + (2048 * 1024 + 1024) + (1024 * 1000 + 1000));
  EXPECT_EQ(params_under(g, "aux2"), (528 * 128 + 128) + (2048 * 1024 + 1024) + (1024 * 1000 + 1000));
  EXPECT_DOUBLE_EQ(std::get<attr::Dropout>(node(g, "aux2.dropout").attrs).p, 0.7);
  ASSERT_EQ(g.outputs().size(), 3u);
  for (ValueId v : g.outputs()) EXPECT_EQ(g.shape(v), (Dims{1, 1000}));
}

// Below 224 the paper's fixed windows are narrowed to the smaller maps (cnnzoo's rule, so that the net trains on
// small images): at 96x96 the aux pools see 6x6 and the final pool 3x3; at 64x64, 4x4 and 2x2. At 224 nothing
// changes (above).
TEST(GooglenetPaper, SmallInputsNarrowTheFixedPoolsToTheMap) {
  for (const auto& [side, aux_map, final_map] : {std::tuple{96, 6, 3}, std::tuple{64, 4, 2}}) {
    const Graph g =
        build_model("googlenet_paper", {.num_classes = 10, .input = Dims{1, side, side}, .aux_logits = true});
    const auto pool = [&](const char* name) { return std::get<attr::Pool>(node(g, name).attrs); };
    EXPECT_EQ(pool("aux1.avgpool").kernel, Hw(std::min(5, aux_map))) << side;
    EXPECT_EQ(pool("aux1.avgpool").stride, Hw(3)) << side;
    EXPECT_EQ(output_of(g, "aux1.avgpool"), (Dims{1, 512, 1, 1})) << side;
    EXPECT_EQ(pool("avgpool").kernel, Hw(final_map)) << side;
    EXPECT_EQ(output_of(g, "avgpool"), (Dims{1, 1024, 1, 1})) << side;
    // aux fc1 then reads 128 values instead of 2048.
    EXPECT_EQ(params_under(g, "aux1"), (512 * 128 + 128) + (128 * 1024 + 1024) + (1024 * 10 + 10)) << side;
  }
  EXPECT_EQ(std::get<attr::Pool>(node(build_model("googlenet_paper"), "avgpool").attrs).kernel, Hw(7));
}

// ---------------------------------------------------------------------------------------------------
// DenseNet
// ---------------------------------------------------------------------------------------------------

// Closed form of a DenseNet-BC's trainable parameters (bn_size 4, compression 0.5, bias-free convs).
// A block of n layers with growth k on c0 input channels: layer j sees c_j = c0 + j k channels, and
// sum_j c_j = S = n c0 + k n(n-1)/2. Per layer: norm1 2c_j, conv1 c_j 4k, norm2 2 * 4k, conv2 4k k 9; so
// the block has (2 + 4k) S + n (8k + 36k^2). A transition on c channels: 2c + c floor(c/2).
struct BcPlan {
  int64_t k;
  std::vector<int64_t> blocks;
  int64_t stem_params;  // the convolution(s) and BN before the first block
  int64_t stem_channels;
  int64_t classes;
};

int64_t densenet_bc_params(const BcPlan& p) {
  int64_t total = p.stem_params;
  int64_t c = p.stem_channels;
  for (std::size_t i = 0; i < p.blocks.size(); ++i) {
    const int64_t n = p.blocks[i];
    const int64_t s = n * c + p.k * n * (n - 1) / 2;
    total += (2 + 4 * p.k) * s + n * (8 * p.k + 36 * p.k * p.k);
    c += n * p.k;
    if (i + 1 < p.blocks.size()) {
      total += 2 * c + c * (c / 2);
      c /= 2;
    }
  }
  return total + 2 * c + c * p.classes + p.classes;  // norm5 and the classifier
}

// ImageNet: conv0 7x7 from 3 channels to `init`, norm0.
int64_t imagenet_densenet_params(int64_t k, std::vector<int64_t> blocks, int64_t init) {
  return densenet_bc_params({k, std::move(blocks), 3 * 49 * init + 2 * init, init, 1000});
}

// CIFAR: one 3x3 conv from 3 channels to 2k, three blocks of (L - 4) / 6 layers.
int64_t cifar_densenet_params(int64_t depth, int64_t k) {
  const int64_t n = (depth - 4) / 6;
  return densenet_bc_params({k, {n, n, n}, 3 * 9 * 2 * k, 2 * k, 10});
}

struct TorchvisionDenseNet {
  const char* name;
  int64_t k;
  std::vector<int64_t> blocks;
  int64_t init;
};

class DenseNetTorchvision : public testing::TestWithParam<TorchvisionDenseNet> {};

TEST_P(DenseNetTorchvision, ParamsEqualTheClosedForm) {
  const TorchvisionDenseNet& p = GetParam();
  const Graph g = build_model(p.name);
  EXPECT_EQ(count(g, ParamKind::Trainable), imagenet_densenet_params(p.k, p.blocks, p.init));
}

INSTANTIATE_TEST_SUITE_P(Models, DenseNetTorchvision,
                         testing::Values(TorchvisionDenseNet{"densenet121", 32, {6, 12, 24, 16}, 64},
                                         TorchvisionDenseNet{"densenet161", 48, {6, 12, 36, 24}, 96},
                                         TorchvisionDenseNet{"densenet169", 32, {6, 12, 32, 32}, 64},
                                         TorchvisionDenseNet{"densenet201", 32, {6, 12, 48, 32}, 64}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DenseNet121, PublishedTotals) {
  const Graph g = build_model("densenet121");
  EXPECT_EQ(count(g, ParamKind::Trainable), 7'978'856);
  EXPECT_EQ(analyze(g).total.macs, 2'834'161'664);
}

// Table 1 of Huang et al.: output sizes 112 (conv), 56 (pool, block 1), 28, 14, 7 (block 4), then 1x1.
// Channels: 64 + 6x32 = 256 -> 128, + 12x32 = 512 -> 256, + 24x32 = 1024 -> 512, + 16x32 = 1024.
TEST(DenseNet121, FeatureMapSizesOfTable1) {
  const Graph g = build_model("densenet121");
  EXPECT_EQ(output_of(g, "features.conv0"), (Dims{1, 64, 112, 112}));
  EXPECT_EQ(output_of(g, "features.pool0"), (Dims{1, 64, 56, 56}));
  EXPECT_EQ(output_of(g, "features.denseblock1.cat"), (Dims{1, 256, 56, 56}));
  EXPECT_EQ(output_of(g, "features.transition1.pool"), (Dims{1, 128, 28, 28}));
  EXPECT_EQ(output_of(g, "features.denseblock2.cat"), (Dims{1, 512, 28, 28}));
  EXPECT_EQ(output_of(g, "features.transition2.pool"), (Dims{1, 256, 14, 14}));
  EXPECT_EQ(output_of(g, "features.denseblock3.cat"), (Dims{1, 1024, 14, 14}));
  EXPECT_EQ(output_of(g, "features.transition3.pool"), (Dims{1, 512, 7, 7}));
  EXPECT_EQ(output_of(g, "features.denseblock4.cat"), (Dims{1, 1024, 7, 7}));
  EXPECT_EQ(output_of(g, "features.norm5"), (Dims{1, 1024, 7, 7}));
  EXPECT_EQ(output_of(g, "avgpool"), (Dims{1, 1024, 1, 1}));
  EXPECT_EQ(g.shape(g.outputs()[0]), (Dims{1, 1000}));
}

TEST(DenseNet121, DenseConnectivity) {
  const Graph g = build_model("densenet121");
  // Layer 1 reads the block input itself; layer L reads the concat of the input and L - 1 outputs.
  EXPECT_FALSE(g.has_node("features.denseblock1.denselayer1.cat"));
  EXPECT_EQ(g.value(node(g, "features.denseblock1.denselayer1.norm1").inputs[0]).producer,
            *g.find_node("features.pool0"));
  EXPECT_EQ(node(g, "features.denseblock1.denselayer2.cat").inputs.size(), 2u);
  EXPECT_EQ(output_of(g, "features.denseblock1.denselayer6.cat"), (Dims{1, 64 + 5 * 32, 56, 56}));
  EXPECT_EQ(node(g, "features.denseblock3.cat").inputs.size(), 25u);
  EXPECT_EQ(output_of(g, "features.denseblock3.denselayer24.conv1"), (Dims{1, 128, 14, 14}));
  EXPECT_EQ(output_of(g, "features.denseblock3.denselayer24.conv2"), (Dims{1, 32, 14, 14}));
}

TEST(DenseNet, GrowthRateOption) {
  const Graph g = build_model("densenet121", {.growth_rate = 12});
  // The stem keeps 64 channels; block 1 ends at 64 + 6x12 = 136, the transition halves it to 68.
  EXPECT_EQ(output_of(g, "features.conv0"), (Dims{1, 64, 112, 112}));
  EXPECT_EQ(output_of(g, "features.denseblock1.denselayer1.conv1"), (Dims{1, 48, 56, 56}));
  EXPECT_EQ(output_of(g, "features.denseblock1.cat"), (Dims{1, 136, 56, 56}));
  EXPECT_EQ(output_of(g, "features.transition1.pool"), (Dims{1, 68, 28, 28}));
  EXPECT_EQ(count(g, ParamKind::Trainable), imagenet_densenet_params(12, {6, 12, 24, 16}, 64));
  const Graph wide = build_model("densenet169", {.growth_rate = 48});
  EXPECT_EQ(count(wide, ParamKind::Trainable), imagenet_densenet_params(48, {6, 12, 32, 32}, 64));
}

// DenseNet-264 (Huang et al., table 1: k = 32, blocks 6-12-64-48) is not in torchvision. The closed form
// gives 33,337,704, the ~33.3M that is widely quoted for it (e.g. in later papers' comparison tables).
TEST(DenseNet264, PaperTable1ParamsByClosedForm) {
  const Graph g = build_model("densenet264");
  EXPECT_EQ(imagenet_densenet_params(32, {6, 12, 64, 48}, 64), 33'337'704);
  EXPECT_EQ(count(g, ParamKind::Trainable), 33'337'704);
  EXPECT_TRUE(within_rounding(33'337'704, 1e5, 333));  // 33.3M
  // 64 + 6x32 = 256 -> 128 + 12x32 = 512 -> 256 + 64x32 = 2304 -> 1152 + 48x32 = 2688.
  EXPECT_EQ(output_of(g, "features.denseblock4.cat"), (Dims{1, 2688, 7, 7}));
}

// DenseNet-BC on CIFAR, Huang et al. table 2: (L=100, k=12) 0.8M, (L=250, k=24) 15.3M, (L=190, k=40) 25.6M,
// printed to 0.1M. The closed form gives 769,162, 15,324,406 and 25,624,430.
TEST(DenseNetBcCifar, PaperTable2Params) {
  struct Row {
    int64_t depth, k, exact, paper_tenths_of_m;
  };
  const Row rows[] = {{100, 12, 769'162, 8}, {250, 24, 15'324'406, 153}, {190, 40, 25'624'430, 256}};
  for (const Row& r : rows) {
    SCOPED_TRACE(r.depth);
    const Graph g = build_model("densenet_bc100", {.depth = r.depth, .growth_rate = r.k});
    const int64_t params = count(g, ParamKind::Trainable);
    EXPECT_EQ(cifar_densenet_params(r.depth, r.k), r.exact);
    EXPECT_EQ(params, r.exact);
    EXPECT_TRUE(within_rounding(params, 1e5, r.paper_tenths_of_m));
  }
  // The defaults are L = 100, k = 12.
  EXPECT_EQ(count(build_model("densenet_bc100"), ParamKind::Trainable), 769'162);
}

TEST(DenseNetBcCifar, ShapesOfTheThreeBlocks) {
  const Graph g = build_model("densenet_bc100");
  // n = (100 - 4) / 6 = 16 layers per block; stem 2k = 24; 24 + 16x12 = 216 -> 108 + 192 = 300 -> 150 + 192.
  EXPECT_EQ(output_of(g, "features.conv0"), (Dims{1, 24, 32, 32}));
  EXPECT_FALSE(g.has_node("features.pool0"));
  EXPECT_EQ(output_of(g, "features.denseblock1.cat"), (Dims{1, 216, 32, 32}));
  EXPECT_EQ(output_of(g, "features.transition1.pool"), (Dims{1, 108, 16, 16}));
  EXPECT_EQ(output_of(g, "features.denseblock2.cat"), (Dims{1, 300, 16, 16}));
  EXPECT_EQ(output_of(g, "features.transition2.pool"), (Dims{1, 150, 8, 8}));
  EXPECT_EQ(output_of(g, "features.denseblock3.cat"), (Dims{1, 342, 8, 8}));
  EXPECT_TRUE(g.has_node("features.denseblock3.denselayer16.conv2"));
  EXPECT_FALSE(g.has_node("features.denseblock3.denselayer17.conv2"));
  EXPECT_FALSE(g.has_node("features.transition3.conv"));
  EXPECT_EQ(output_of(g, "avgpool"), (Dims{1, 342, 1, 1}));
  EXPECT_EQ(g.shape(g.outputs()[0]), (Dims{1, 10}));
  // 3x3 convolutions: the stem and 48 conv2s; 1x1: 48 conv1s and 2 transitions; plus the classifier = 100.
  int64_t weighted = 0;
  for (const Node& n : g.nodes()) weighted += (n.op == OpKind::Conv || n.op == OpKind::Linear) ? 1 : 0;
  EXPECT_EQ(weighted, 100);
}

TEST(DenseNetBcCifar, RejectsDepthNotSixNPlusFour) {
  for (int64_t depth : {99, 4, 7}) {
    SCOPED_TRACE(depth);
    try {
      build_model("densenet_bc100", {.depth = depth});
      FAIL() << "expected InvalidArgument";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("ModelOptions::depth"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(std::to_string(depth)), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(build_model("densenet_bc100", {.depth = 10}));
}

TEST(DenseNet, OptionsOnlyWhereTaken) {
  EXPECT_THROW(build_model("densenet121", {.depth = 100}), InvalidArgument);
  EXPECT_THROW(build_model("googlenet", {.growth_rate = 12}), InvalidArgument);
}

}  // namespace
}  // namespace cnnzoo
