// AlexNet as Krizhevsky et al. published it and ZFNet as Zeiler and Fergus did: shapes and counts by hand.
#include <gtest/gtest.h>

#include "cnnzoo/analysis.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

Dims out_of(const Graph& g, const std::string& node) { return g.shape(g.node(*g.find_node(node)).output); }

int64_t conv_params(int64_t in, int64_t out, int64_t k, int64_t groups = 1) {
  return out * (in / groups) * k * k + out;
}
int64_t fc_params(int64_t in, int64_t out) { return in * out + out; }

TEST(AlexNetPaper, ShapesAndNeuronsOfSection3) {
  const Graph g = build_model("alexnet_paper");
  EXPECT_EQ(g.shape(g.inputs()[0]), (Dims{1, 3, 227, 227}));
  EXPECT_EQ(out_of(g, "features.0"), (Dims{1, 96, 55, 55}));
  EXPECT_EQ(out_of(g, "features.3"), (Dims{1, 96, 27, 27}));  // overlapping 3x3/2 pool
  EXPECT_EQ(out_of(g, "features.4"), (Dims{1, 256, 27, 27}));
  EXPECT_EQ(out_of(g, "features.7"), (Dims{1, 256, 13, 13}));
  EXPECT_EQ(out_of(g, "features.14"), (Dims{1, 256, 6, 6}));
  // The paper's neuron counts from the second layer on: 186,624-64,896-64,896-43,264-4096-4096-1000.
  EXPECT_EQ(numel(out_of(g, "features.4")), 186'624);
  EXPECT_EQ(numel(out_of(g, "features.8")), 64'896);
  EXPECT_EQ(numel(out_of(g, "features.10")), 64'896);
  EXPECT_EQ(numel(out_of(g, "features.12")), 43'264);
  EXPECT_EQ(numel(out_of(g, "classifier.6")), 1000);
}

TEST(AlexNetPaper, TwoTowersAsGroupsAndLrnAsPublished) {
  const Graph g = build_model("alexnet_paper");
  EXPECT_EQ(std::get<attr::Conv>(g.node(*g.find_node("features.4")).attrs).groups, 2);
  EXPECT_EQ(std::get<attr::Conv>(g.node(*g.find_node("features.8")).attrs).groups, 1);  // conv3 sees both GPUs
  EXPECT_EQ(std::get<attr::Conv>(g.node(*g.find_node("features.10")).attrs).groups, 2);
  EXPECT_EQ(std::get<attr::Conv>(g.node(*g.find_node("features.12")).attrs).groups, 2);
  const auto& lrn = std::get<attr::Lrn>(g.node(*g.find_node("features.2")).attrs);
  EXPECT_EQ(lrn.size, 5);
  EXPECT_DOUBLE_EQ(lrn.alpha / lrn.size, 1e-4);  // the paper's alpha, which it does not divide by n
  EXPECT_DOUBLE_EQ(lrn.k, 2.0);
  EXPECT_DOUBLE_EQ(lrn.beta, 0.75);
}

TEST(AlexNetPaper, SixtyMillionParameters) {
  const int64_t expected = conv_params(3, 96, 11) + conv_params(96, 256, 5, 2) + conv_params(256, 384, 3) +
                           conv_params(384, 384, 3, 2) + conv_params(384, 256, 3, 2) + fc_params(9216, 4096) +
                           fc_params(4096, 4096) + fc_params(4096, 1000);
  EXPECT_EQ(expected, 60'965'224);
  EXPECT_EQ(analyze(build_model("alexnet_paper")).total.params, expected);  // "60 million parameters"
}

TEST(ZfNet, ShapesOfFigure3) {
  // 224 -> 110 (7x7/2) -> 55 (3x3/2 pool) -> 26 (5x5/2) -> 13 (pool) -> 13 -> 13 -> 13 -> 6 (pool).
  const Graph g = build_model("zfnet");
  EXPECT_EQ(out_of(g, "features.0"), (Dims{1, 96, 110, 110}));
  EXPECT_EQ(out_of(g, "features.3"), (Dims{1, 96, 55, 55}));
  EXPECT_EQ(out_of(g, "features.4"), (Dims{1, 256, 26, 26}));
  EXPECT_EQ(out_of(g, "features.7"), (Dims{1, 256, 13, 13}));
  EXPECT_EQ(out_of(g, "features.12"), (Dims{1, 256, 13, 13}));
  EXPECT_EQ(out_of(g, "features.14"), (Dims{1, 256, 6, 6}));
}

TEST(ZfNet, ParametersOfBothVariants) {
  const int64_t head = conv_params(3, 96, 7) + conv_params(96, 256, 5);
  const int64_t tail = fc_params(4096, 4096) + fc_params(4096, 1000);
  EXPECT_EQ(analyze(build_model("zfnet")).total.params, head + conv_params(256, 384, 3) + conv_params(384, 384, 3) +
                                                            conv_params(384, 256, 3) + fc_params(256 * 36, 4096) +
                                                            tail);
  // The lecture's ZFNet: 512, 1024 and 512 filters in layers 3 to 5.
  const Graph wide = build_model("zfnet", {.wide = true});
  EXPECT_EQ(out_of(wide, "features.10"), (Dims{1, 1024, 13, 13}));
  EXPECT_EQ(analyze(wide).total.params, head + conv_params(256, 512, 3) + conv_params(512, 1024, 3) +
                                            conv_params(1024, 512, 3) + fc_params(512 * 36, 4096) + tail);
  EXPECT_EQ(analyze(wide).total.params, 107'627'624);
}

}  // namespace
}  // namespace cnnzoo
