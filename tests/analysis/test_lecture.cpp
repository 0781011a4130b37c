// The lecture's figures and comparisons (shared/seed: "CNN architectures"), reproduced by the analysis.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/find_row.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/builder.h"
#include "cnnzoo/models.h"
#include "cnnzoo/report.h"

namespace cnnzoo {
namespace {

using test::row;

int64_t rounded(double v) { return std::llround(v); }

// The lecture's AlexNet table (64/192/384/256/256 at 227x227 with padding 2): memory KB, params K, MFLOP
// (its FLOP is a multiply-add). Its parameter column counts weights only: fc6's 37,749K is 9216 x 4096.
TEST(Lecture, AlexNetTable) {
  const Analysis a = analyze(build_model("alexnet", {.input = Dims{3, 227, 227}}));
  struct Expected {
    const char* row;
    Dims output;
    int64_t memory_kb, weights_k, mflop;
  };
  const Expected table[] = {
      {"features.0", {64, 56, 56}, 784, 23, 73},     {"features.2", {64, 27, 27}, 182, 0, 0},
      {"features.3", {192, 27, 27}, 547, 307, 224},  {"features.5", {192, 13, 13}, 127, 0, 0},
      {"features.6", {384, 13, 13}, 254, 664, 112},  {"features.8", {256, 13, 13}, 169, 885, 150},
      {"features.10", {256, 13, 13}, 169, 590, 100}, {"features.12", {256, 6, 6}, 36, 0, 0},
      {"classifier.1", {4096}, 16, 37749, 38},       {"classifier.4", {4096}, 16, 16777, 17},
      {"classifier.6", {1000}, 4, 4096, 4},
  };
  for (const Expected& e : table) {
    SCOPED_TRACE(e.row);
    const LayerRow& r = row(a, e.row);
    Dims out{1};
    out.insert(out.end(), e.output.begin(), e.output.end());
    EXPECT_EQ(r.output, out);
    EXPECT_EQ(rounded(r.activation_bytes / 1024.0), e.memory_kb);
    const int64_t biases = r.params == 0 ? 0 : r.output[1];
    EXPECT_EQ(rounded((r.params - biases) / 1e3), e.weights_k);
    EXPECT_EQ(rounded(r.macs / 1e6), e.mflop);
  }
}

// Two stacked 3x3 convolutions see what one 5x5 sees, with 18C^2 instead of 25C^2 parameters and
// 18C^2HW instead of 25C^2HW multiply-adds.
TEST(Lecture, Two3x3AgainstOne5x5) {
  for (int64_t channels : {16, 64, 256}) {
    const int64_t h = 28, w = 28;
    Builder five("five", {1, channels, h, w});
    five.output(five.conv(five.input(), "conv", {.out = channels, .kernel = 5, .pad = 2, .bias = false}));
    Builder three("three", {1, channels, h, w});
    ValueId x = three.conv(three.input(), "conv1", {.out = channels, .kernel = 3, .pad = 1, .bias = false});
    x = three.relu(x, "relu");
    three.output(three.conv(x, "conv2", {.out = channels, .kernel = 3, .pad = 1, .bias = false}));
    const Analysis a5 = analyze(five.finish());
    const Analysis a3 = analyze(three.finish());
    const int64_t c2 = channels * channels;
    EXPECT_EQ(a5.total.params, 25 * c2);
    EXPECT_EQ(a3.total.params, 18 * c2);
    EXPECT_EQ(a5.total.macs, 25 * c2 * h * w);
    EXPECT_EQ(a3.total.macs, 18 * c2 * h * w);
    EXPECT_EQ(a5.layers.back().receptive_field, Hw(5));
    EXPECT_EQ(a3.layers.back().receptive_field, Hw(5));
    EXPECT_EQ(a5.layers.back().output, a3.layers.back().output);
  }
}

// VGG's rule: after a 2x2 pool halves H and W, doubling the channels keeps a layer's work constant.
TEST(Lecture, HalvingResolutionAndDoublingChannelsKeepsMacs) {
  const Analysis vgg = analyze(build_model("vgg16"));
  // The second convolution of stages 1 to 4: 64 at 224, 128 at 112, 256 at 56, 512 at 28.
  const int64_t stage1 = row(vgg, "features.2").macs;
  EXPECT_EQ(stage1, 64LL * 64 * 9 * 224 * 224);
  EXPECT_EQ(row(vgg, "features.7").macs, stage1);
  EXPECT_EQ(row(vgg, "features.14").macs, stage1);
  EXPECT_EQ(row(vgg, "features.21").macs, stage1);
  // Stage 5 keeps 512 channels at 14x14, so its layers cost a quarter.
  EXPECT_EQ(row(vgg, "features.26").macs, stage1 / 4);
  // And the rule in general: C at 2Hx2W against 2C at HxW.
  for (int64_t c : {32, 96}) {
    Builder b("rule", {1, c, 56, 56});
    ValueId x = b.conv(b.input(), "big", {.out = c, .kernel = 3, .pad = 1});
    x = b.max_pool(x, "pool", {.kernel = 2, .stride = 2});
    x = b.conv(x, "widen", {.out = 2 * c, .kernel = 3, .pad = 1});
    b.output(b.conv(x, "small", {.out = 2 * c, .kernel = 3, .pad = 1}));
    const Analysis a = analyze(b.finish());
    EXPECT_EQ(row(a, "big").macs, row(a, "small").macs);
  }
}

// GoogLeNet's stem reaches 28x28 with 7.5 MB of activations and about 124K parameters; VGG-16 needs
// far more of everything to reach the same resolution (the lecture's 5.7x memory and 8.9x or more
// parameters; it quotes 17.8x the work).
TEST(Lecture, GoogLeNetStemAgainstVgg16) {
  const Analysis stem = analyze(build_model("googlenet"), {.until = "maxpool2"});
  EXPECT_EQ(stem.layers.back().output, (Dims{1, 192, 28, 28}));
  EXPECT_NEAR(stem.total.activation_bytes / (1024.0 * 1024.0), 7.5, 0.05);
  EXPECT_EQ(rounded(analyze(build_model("googlenet_paper"), {.until = "maxpool2"}).total.params / 1e3), 124);

  // VGG-16 first reaches 28x28 at pool3 (features.16), after seven convolutions.
  const Graph vgg = build_model("vgg16");
  const auto cut = first_row_at_resolution(analyze(vgg), 28, 28);
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(*cut, "features.16");
  const Analysis head = analyze(vgg, {.until = *cut});
  auto conv = [](int64_t in, int64_t out, int64_t size) { return out * size * size * in * 9; };
  EXPECT_EQ(head.total.macs, conv(3, 64, 224) + conv(64, 64, 224) + conv(64, 128, 112) + conv(128, 128, 112) +
                                 conv(128, 256, 56) + 2 * conv(256, 256, 56));
  EXPECT_EQ(head.total.params, 1792 + 36928 + 73856 + 147584 + 295168 + 2 * 590080);
  EXPECT_GT(head.total.activation_bytes, 5.7 * stem.total.activation_bytes);
  EXPECT_GT(head.total.params, 8.9 * stem.total.params);
  EXPECT_GT(head.total.macs, 17.8 * stem.total.macs);
}

}  // namespace
}  // namespace cnnzoo
