// Inception-v4 and Inception-ResNet-v2 (Szegedy, Ioffe, Vanhoucke and Alemi, "Inception-v4, Inception-ResNet and
// the Impact of Residual Connections on Learning", 2016), with the module names of timm's inception_v4 and
// inception_resnet_v2 (the PyTorch port of Google's TF-slim weights), so that their state_dicts load by name.
//
// Both share the paper's stem (figure 3) up to 35 x 35; v4 then stacks 4 Inception-A, reduction A, 7 Inception-B,
// reduction B and 3 Inception-C blocks (figures 4 to 9), Inception-ResNet-v2 stacks 10, 20 and 9 residual
// Inception blocks (figures 16 to 19) whose branch sum is scaled by 0.17, 0.1 and 0.2 before it joins the
// shortcut (section 3.3: without the scaling, networks of over 1000 filters "died" early in training). Every
// convolution but the residual blocks' last 1x1 is a BasicConv2d (no bias, BN eps 0.001, ReLU); the residual
// 1x1 has a bias and no BN. Pools are unpadded 3x3/2 max pools, or 3x3/1 average pools that leave the padding
// out of their average (count_include_pad=False, as TF-slim's 'SAME' average pool).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "cnnzoo/builder.h"
#include "cnnzoo/error.h"
#include "models/common.h"
#include "models/families.h"

namespace cnnzoo::models {
namespace {

constexpr attr::Pool kReducingPool{.kernel = 3, .stride = 2};
constexpr attr::Pool kSameAveragePool{.kernel = 3, .stride = 1, .pad = 1, .count_include_pad = false};

attr::Conv same3x3(int64_t out) { return {.out = out, .kernel = 3, .pad = 1}; }
attr::Conv valid3x3(int64_t out, int64_t stride = 1) { return {.out = out, .kernel = 3, .stride = stride}; }

// A chain of BasicConv2d named `prefix.0`, `prefix.1`, ... (an nn.Sequential).
ValueId chain(Builder& b, ValueId x, const std::string& prefix, const std::vector<attr::Conv>& convs) {
  Sequential seq(prefix);
  for (const attr::Conv& c : convs) x = basic_conv2d(b, x, seq.next(), c);
  return x;
}

// The inputs a network needs so that its last reduction still leaves a 1 x 1 map.
void check_input(const ModelConfig& config, int64_t smallest) {
  const Dims& in = config.input;
  if (in[1] < smallest || in[2] < smallest) {
    throw OptionError({"ModelOptions::input"},
                      fmt::format("{} needs an input of at least {}x{} (its unpadded stem and reductions leave "
                                  "nothing of a smaller one), got {}x{}",
                                  config.name, smallest, smallest, in[1], in[2]));
  }
}

// ---- Inception-v4 ----

// The stem (figure 3) as timm's features.0 to features.5: three convolutions, then three joins of two branches.
ValueId v4_stem(Builder& b, ValueId x, Sequential& features) {
  x = basic_conv2d(b, x, features.next(), valid3x3(32, 2));
  x = basic_conv2d(b, x, features.next(), valid3x3(32));
  x = basic_conv2d(b, x, features.next(), same3x3(64));
  std::string n = features.next();  // Mixed3a: max pool | stride-2 conv
  ValueId pool = b.max_pool(x, n + ".maxpool", kReducingPool);
  x = b.concat({pool, basic_conv2d(b, x, n + ".conv", valid3x3(96, 2))}, n + ".cat");
  n = features.next();  // Mixed4a: 1x1, 3x3 | 1x1, 1x7, 7x1, 3x3
  const ValueId b0 = chain(b, x, n + ".branch0", {{.out = 64}, valid3x3(96)});
  const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 64}, row(64, 7), column(64, 7), valid3x3(96)});
  x = b.concat({b0, b1}, n + ".cat");
  n = features.next();  // Mixed5a: stride-2 conv | max pool
  const ValueId conv = basic_conv2d(b, x, n + ".conv", valid3x3(192, 2));
  pool = b.max_pool(x, n + ".maxpool", kReducingPool);
  return b.concat({conv, pool}, n + ".cat");
}

// The pool branch of blocks A, B and C: 3x3 average pool then 1x1, as `n.branch3` (a Sequential: pool is .0).
ValueId pool_branch(Builder& b, ValueId x, const std::string& n, int64_t out) {
  x = b.avg_pool(x, n + ".branch3.0", kSameAveragePool);
  return basic_conv2d(b, x, n + ".branch3.1", {.out = out});
}

ValueId v4_block_a(Builder& b, ValueId x, const std::string& n) {  // figure 4, 35 x 35 x 384
  const ValueId b0 = basic_conv2d(b, x, n + ".branch0", {.out = 96});
  const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 64}, same3x3(96)});
  const ValueId b2 = chain(b, x, n + ".branch2", {{.out = 64}, same3x3(96), same3x3(96)});
  return b.concat({b0, b1, b2, pool_branch(b, x, n, 96)}, n + ".cat");
}

ValueId v4_reduction_a(Builder& b, ValueId x, const std::string& n) {  // figure 7 with k, l, m, n = 192, 224, 256, 384
  const ValueId b0 = basic_conv2d(b, x, n + ".branch0", valid3x3(384, 2));
  const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 192}, same3x3(224), valid3x3(256, 2)});
  const ValueId b2 = b.max_pool(x, n + ".branch2", kReducingPool);
  return b.concat({b0, b1, b2}, n + ".cat");
}

ValueId v4_block_b(Builder& b, ValueId x, const std::string& n) {  // figure 5, 17 x 17 x 1024
  const ValueId b0 = basic_conv2d(b, x, n + ".branch0", {.out = 384});
  const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 192}, row(224, 7), column(256, 7)});
  const ValueId b2 =
      chain(b, x, n + ".branch2", {{.out = 192}, column(192, 7), row(224, 7), column(224, 7), row(256, 7)});
  return b.concat({b0, b1, b2, pool_branch(b, x, n, 128)}, n + ".cat");
}

ValueId v4_reduction_b(Builder& b, ValueId x, const std::string& n) {  // figure 8
  const ValueId b0 = chain(b, x, n + ".branch0", {{.out = 192}, valid3x3(192, 2)});
  const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 256}, row(256, 7), column(320, 7), valid3x3(320, 2)});
  const ValueId b2 = b.max_pool(x, n + ".branch2", kReducingPool);
  return b.concat({b0, b1, b2}, n + ".cat");
}

ValueId v4_block_c(Builder& b, ValueId x, const std::string& n) {  // figure 6, 8 x 8 x 1536
  const ValueId b0 = basic_conv2d(b, x, n + ".branch0", {.out = 256});
  const ValueId s = basic_conv2d(b, x, n + ".branch1_0", {.out = 384});
  const ValueId b1 = b.concat(
      {basic_conv2d(b, s, n + ".branch1_1a", row(256, 3)), basic_conv2d(b, s, n + ".branch1_1b", column(256, 3))},
      n + ".branch1");
  ValueId d = basic_conv2d(b, x, n + ".branch2_0", {.out = 384});
  d = basic_conv2d(b, d, n + ".branch2_1", column(448, 3));
  d = basic_conv2d(b, d, n + ".branch2_2", row(512, 3));
  const ValueId b2 = b.concat(
      {basic_conv2d(b, d, n + ".branch2_3a", row(256, 3)), basic_conv2d(b, d, n + ".branch2_3b", column(256, 3))},
      n + ".branch2");
  return b.concat({b0, b1, b2, pool_branch(b, x, n, 256)}, n + ".cat");
}

// The classifier both share: global average pool, fc (`fc_name`: timm's last_linear or classif). timm's default
// drop rate is 0; the paper's dropout keeps 0.8.
ValueId classifier(Builder& b, ValueId x, const std::string& fc_name, int64_t num_classes) {
  x = b.flatten(b.global_avg_pool(x, "global_pool"), "flatten");
  x = b.dropout(x, "head_drop", 0.2);
  return b.linear(x, fc_name, {.out = num_classes});
}

Graph inception_v4(const ModelConfig& config) {
  check_input(config, 75);
  Builder b(config.name, config.input_shape());
  Sequential features("features");
  ValueId x = v4_stem(b, b.input(), features);
  for (int i = 0; i < 4; ++i) x = v4_block_a(b, x, features.next());
  x = v4_reduction_a(b, x, features.next());
  for (int i = 0; i < 7; ++i) x = v4_block_b(b, x, features.next());
  x = v4_reduction_b(b, x, features.next());
  for (int i = 0; i < 3; ++i) x = v4_block_c(b, x, features.next());
  b.output(classifier(b, x, "last_linear", config.num_classes));
  return b.finish();
}

// ---- Inception-ResNet-v2 ----

// The residual join: the branches' concatenation, a 1x1 convolution with bias back to the block's width, scaled,
// added to the block's input, and (all but the last block) ReLU.
ValueId residual_join(Builder& b, ValueId x, const std::vector<ValueId>& branches, const std::string& n, double scale,
                      bool relu) {
  const int64_t width = b.shape(x)[1];
  ValueId r = b.conv(b.concat(branches, n + ".cat"), n + ".conv2d", {.out = width});
  if (scale != 1.0) r = b.append(OpKind::Scale, n + ".scale", attr::Scale{scale}, {r});
  const ValueId sum = b.add({r, x}, n + ".add");
  return relu ? b.relu(sum, n + ".relu") : sum;
}

ValueId block35(Builder& b, ValueId x, const std::string& n, double scale) {  // figure 16, 35 x 35 x 320
  const ValueId b0 = basic_conv2d(b, x, n + ".branch0", {.out = 32});
  const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 32}, same3x3(32)});
  const ValueId b2 = chain(b, x, n + ".branch2", {{.out = 32}, same3x3(48), same3x3(64)});
  return residual_join(b, x, {b0, b1, b2}, n, scale, true);
}

ValueId block17(Builder& b, ValueId x, const std::string& n, double scale) {  // figure 17, 17 x 17 x 1088
  const ValueId b0 = basic_conv2d(b, x, n + ".branch0", {.out = 192});
  const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 128}, row(160, 7), column(192, 7)});
  return residual_join(b, x, {b0, b1}, n, scale, true);
}

ValueId block8(Builder& b, ValueId x, const std::string& n, double scale, bool relu) {  // figure 19, 8 x 8 x 2080
  const ValueId b0 = basic_conv2d(b, x, n + ".branch0", {.out = 192});
  const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 192}, row(224, 3), column(256, 3)});
  return residual_join(b, x, {b0, b1}, n, scale, relu);
}

// The published scales (timm and TF-slim): 0.17 at 35 x 35, 0.1 at 17 x 17, 0.2 at 8 x 8.
constexpr std::array<double, 3> kResidualScales{0.17, 0.10, 0.20};

std::array<double, 3> residual_scales(const ModelConfig& config) {
  if (!config.residual_scales) return kResidualScales;
  const std::vector<double>& s = *config.residual_scales;
  const bool valid = s.size() == 3 && std::all_of(s.begin(), s.end(), [](double v) { return std::isfinite(v); });
  if (!valid) {
    throw OptionError({"ModelOptions::residual_scales"},
                      fmt::format("ModelOptions::residual_scales needs 3 finite numbers (35x35, 17x17 and 8x8 blocks; "
                                  "the paper's are 0.17,0.1,0.2), got {}",
                                  fmt::join(s, ",")));
  }
  return {s[0], s[1], s[2]};
}

Graph inception_resnet_v2(const ModelConfig& config) {
  check_input(config, 75);
  const std::array<double, 3> scales = residual_scales(config);
  Builder b(config.name, config.input_shape());
  ValueId x = basic_conv2d(b, b.input(), "conv2d_1a", valid3x3(32, 2));
  x = basic_conv2d(b, x, "conv2d_2a", valid3x3(32));
  x = basic_conv2d(b, x, "conv2d_2b", same3x3(64));
  x = b.max_pool(x, "maxpool_3a", kReducingPool);
  x = basic_conv2d(b, x, "conv2d_3b", {.out = 80});
  x = basic_conv2d(b, x, "conv2d_4a", valid3x3(192));
  x = b.max_pool(x, "maxpool_5a", kReducingPool);
  {  // mixed_5b: an Inception-A-like block to 320 channels
    const std::string n = "mixed_5b";
    const ValueId b0 = basic_conv2d(b, x, n + ".branch0", {.out = 96});
    const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 48}, {.out = 64, .kernel = 5, .pad = 2}});
    const ValueId b2 = chain(b, x, n + ".branch2", {{.out = 64}, same3x3(96), same3x3(96)});
    x = b.concat({b0, b1, b2, pool_branch(b, x, n, 64)}, n + ".cat");
  }
  Sequential repeat("repeat");
  for (int i = 0; i < 10; ++i) x = block35(b, x, repeat.next(), scales[0]);
  {  // mixed_6a: reduction A with k, l, m, n = 256, 256, 384, 384
    const std::string n = "mixed_6a";
    const ValueId b0 = basic_conv2d(b, x, n + ".branch0", valid3x3(384, 2));
    const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 256}, same3x3(256), valid3x3(384, 2)});
    x = b.concat({b0, b1, b.max_pool(x, n + ".branch2", kReducingPool)}, n + ".cat");
  }
  Sequential repeat_1("repeat_1");
  for (int i = 0; i < 20; ++i) x = block17(b, x, repeat_1.next(), scales[1]);
  {  // mixed_7a: reduction B (figure 18)
    const std::string n = "mixed_7a";
    const ValueId b0 = chain(b, x, n + ".branch0", {{.out = 256}, valid3x3(384, 2)});
    const ValueId b1 = chain(b, x, n + ".branch1", {{.out = 256}, valid3x3(288, 2)});
    const ValueId b2 = chain(b, x, n + ".branch2", {{.out = 256}, same3x3(288), valid3x3(320, 2)});
    x = b.concat({b0, b1, b2, b.max_pool(x, n + ".branch3", kReducingPool)}, n + ".cat");
  }
  Sequential repeat_2("repeat_2");
  for (int i = 0; i < 9; ++i) x = block8(b, x, repeat_2.next(), scales[2], true);
  x = block8(b, x, "block8", 1.0, false);  // the last block: unscaled, no ReLU
  x = basic_conv2d(b, x, "conv2d_7b", {.out = 1536});
  b.output(classifier(b, x, "classif", config.num_classes));
  return b.finish();
}

}  // namespace

void add_inception_v4_family(std::vector<ModelInfo>& out) {
  out.push_back({.name = "inception_v4",
                 .family = "inception",
                 .description = "Inception-v4 (Szegedy et al. 2016) with timm's names: stem, 4 A, 7 B, 3 C blocks",
                 .default_input = kInceptionInput,
                 .build = inception_v4});
  out.push_back({.name = "inception_resnet_v2",
                 .family = "inception",
                 .description = "Inception-ResNet-v2 (Szegedy et al. 2016) with timm's names; --residual-scales",
                 .default_input = kInceptionInput,
                 .options = kTakesResidualScales,
                 .build = inception_resnet_v2});
}

}  // namespace cnnzoo::models
