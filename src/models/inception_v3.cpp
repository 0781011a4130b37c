// Inception-v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", 2015) exactly as
// torchvision 0.14 builds it: the same modules in the same order, so its state_dict loads by name.
//
// What it adds to GoogLeNet: the 5x5 convolutions factorised into two 3x3 (block A), n x n into 1 x n then n x 1
// (blocks C and E, the paper's figures 6 and 7), and the grid reduced by a stride-2 convolution and a pool side
// by side (blocks B and D, figure 10) rather than by a pool that loses information or a convolution that costs
// four times as much. Every convolution is a BasicConv2d (no bias, BN eps 0.001, ReLU); the average pools count
// their padding (PyTorch's default, as torchvision calls them).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "cnnzoo/builder.h"
#include "cnnzoo/error.h"
#include "models/common.h"
#include "models/families.h"

namespace cnnzoo::models {
namespace {

constexpr attr::Pool kSamePool{.kernel = 3, .stride = 1, .pad = 1};
constexpr attr::Pool kReducingPool{.kernel = 3, .stride = 2};

// Block A (35 x 35): 1x1; 1x1 then 5x5; 1x1 then two 3x3; 3x3 average pool then 1x1.
ValueId block_a(Builder& b, ValueId x, const std::string& n, int64_t pool_features) {
  const ValueId b1 = basic_conv2d(b, x, n + ".branch1x1", {.out = 64});
  ValueId b5 = basic_conv2d(b, x, n + ".branch5x5_1", {.out = 48});
  b5 = basic_conv2d(b, b5, n + ".branch5x5_2", {.out = 64, .kernel = 5, .pad = 2});
  ValueId b3 = basic_conv2d(b, x, n + ".branch3x3dbl_1", {.out = 64});
  b3 = basic_conv2d(b, b3, n + ".branch3x3dbl_2", {.out = 96, .kernel = 3, .pad = 1});
  b3 = basic_conv2d(b, b3, n + ".branch3x3dbl_3", {.out = 96, .kernel = 3, .pad = 1});
  ValueId pool = b.avg_pool(x, n + ".avg_pool", kSamePool);
  pool = basic_conv2d(b, pool, n + ".branch_pool", {.out = pool_features});
  return b.concat({b1, b5, b3, pool}, n + ".cat");
}

// Block B (35 -> 17): a stride-2 3x3, two 3x3 of which the second strides, a stride-2 max pool.
ValueId block_b(Builder& b, ValueId x, const std::string& n) {
  const ValueId b3 = basic_conv2d(b, x, n + ".branch3x3", {.out = 384, .kernel = 3, .stride = 2});
  ValueId d = basic_conv2d(b, x, n + ".branch3x3dbl_1", {.out = 64});
  d = basic_conv2d(b, d, n + ".branch3x3dbl_2", {.out = 96, .kernel = 3, .pad = 1});
  d = basic_conv2d(b, d, n + ".branch3x3dbl_3", {.out = 96, .kernel = 3, .stride = 2});
  const ValueId pool = b.max_pool(x, n + ".max_pool", kReducingPool);
  return b.concat({b3, d, pool}, n + ".cat");
}

// Block C (17 x 17): 7x7 factorised into 1x7 and 7x1, once and twice; `c7` channels inside.
ValueId block_c(Builder& b, ValueId x, const std::string& n, int64_t c7) {
  const ValueId b1 = basic_conv2d(b, x, n + ".branch1x1", {.out = 192});
  ValueId s = basic_conv2d(b, x, n + ".branch7x7_1", {.out = c7});
  s = basic_conv2d(b, s, n + ".branch7x7_2", row(c7, 7));
  s = basic_conv2d(b, s, n + ".branch7x7_3", column(192, 7));
  ValueId d = basic_conv2d(b, x, n + ".branch7x7dbl_1", {.out = c7});
  d = basic_conv2d(b, d, n + ".branch7x7dbl_2", column(c7, 7));
  d = basic_conv2d(b, d, n + ".branch7x7dbl_3", row(c7, 7));
  d = basic_conv2d(b, d, n + ".branch7x7dbl_4", column(c7, 7));
  d = basic_conv2d(b, d, n + ".branch7x7dbl_5", row(192, 7));
  ValueId pool = b.avg_pool(x, n + ".avg_pool", kSamePool);
  pool = basic_conv2d(b, pool, n + ".branch_pool", {.out = 192});
  return b.concat({b1, s, d, pool}, n + ".cat");
}

// Block D (17 -> 8): 1x1 then a stride-2 3x3; 1x1, 1x7, 7x1, then a stride-2 3x3; a stride-2 max pool.
ValueId block_d(Builder& b, ValueId x, const std::string& n) {
  ValueId b3 = basic_conv2d(b, x, n + ".branch3x3_1", {.out = 192});
  b3 = basic_conv2d(b, b3, n + ".branch3x3_2", {.out = 320, .kernel = 3, .stride = 2});
  ValueId b7 = basic_conv2d(b, x, n + ".branch7x7x3_1", {.out = 192});
  b7 = basic_conv2d(b, b7, n + ".branch7x7x3_2", row(192, 7));
  b7 = basic_conv2d(b, b7, n + ".branch7x7x3_3", column(192, 7));
  b7 = basic_conv2d(b, b7, n + ".branch7x7x3_4", {.out = 192, .kernel = 3, .stride = 2});
  const ValueId pool = b.max_pool(x, n + ".max_pool", kReducingPool);
  return b.concat({b3, b7, pool}, n + ".cat");
}

// Block E (8 x 8): the 3x3 branches end in a 1x3 and a 3x1 side by side, widening the output (figure 7).
ValueId block_e(Builder& b, ValueId x, const std::string& n) {
  const ValueId b1 = basic_conv2d(b, x, n + ".branch1x1", {.out = 320});
  const ValueId s = basic_conv2d(b, x, n + ".branch3x3_1", {.out = 384});
  const ValueId s_row = basic_conv2d(b, s, n + ".branch3x3_2a", row(384, 3));
  const ValueId s_column = basic_conv2d(b, s, n + ".branch3x3_2b", column(384, 3));
  const ValueId b3 = b.concat({s_row, s_column}, n + ".branch3x3");
  ValueId d = basic_conv2d(b, x, n + ".branch3x3dbl_1", {.out = 448});
  d = basic_conv2d(b, d, n + ".branch3x3dbl_2", {.out = 384, .kernel = 3, .pad = 1});
  const ValueId d_row = basic_conv2d(b, d, n + ".branch3x3dbl_3a", row(384, 3));
  const ValueId d_column = basic_conv2d(b, d, n + ".branch3x3dbl_3b", column(384, 3));
  const ValueId b3dbl = b.concat({d_row, d_column}, n + ".branch3x3dbl");
  ValueId pool = b.avg_pool(x, n + ".avg_pool", kSamePool);
  pool = basic_conv2d(b, pool, n + ".branch_pool", {.out = 192});
  return b.concat({b1, b3, b3dbl, pool}, n + ".cat");
}

// The auxiliary classifier on Mixed_6e (17 x 17 x 768): 5x5/3 average pool to 5x5, 1x1 to 128, 5x5 to 768 (so
// it needs the 17 x 17 map of a 299 input), global pool, fc.
ValueId aux_head(Builder& b, ValueId x, int64_t num_classes) {
  const std::string n = "AuxLogits";
  const Dims& map = b.shape(x);
  if (map[2] < 17 || map[3] < 17) {
    throw OptionError(
        {"ModelOptions::input"},
        fmt::format("inception_v3's auxiliary classifier needs Mixed_6e's map to be at least 17x17 (an "
                    "input of 299x299); this input gives {}x{}: drop --aux-logits or give a 299x299 input",
                    map[2], map[3]));
  }
  x = b.avg_pool(x, n + ".avg_pool", {.kernel = 5, .stride = 3});
  x = basic_conv2d(b, x, n + ".conv0", {.out = 128});
  x = basic_conv2d(b, x, n + ".conv1", {.out = 768, .kernel = 5});
  x = b.flatten(b.adaptive_avg_pool(x, n + ".adaptive_avg_pool", 1), n + ".flatten");
  return b.linear(x, n + ".fc", {.out = num_classes});
}

Graph inception_v3(const ModelConfig& config) {
  Builder b(config.name, config.input_shape());
  const Dims& in = config.input;
  if (in[1] < 75 || in[2] < 75) {
    throw OptionError({"ModelOptions::input"},
                      fmt::format("inception_v3 needs an input of at least 75x75 (its unpadded stem and reductions "
                                  "leave nothing of a smaller one), got {}x{}",
                                  in[1], in[2]));
  }
  ValueId x = config.transform_input ? transform_input(b, b.input(), config.name) : b.input();
  x = basic_conv2d(b, x, "Conv2d_1a_3x3", {.out = 32, .kernel = 3, .stride = 2});
  x = basic_conv2d(b, x, "Conv2d_2a_3x3", {.out = 32, .kernel = 3});
  x = basic_conv2d(b, x, "Conv2d_2b_3x3", {.out = 64, .kernel = 3, .pad = 1});
  x = b.max_pool(x, "maxpool1", kReducingPool);
  x = basic_conv2d(b, x, "Conv2d_3b_1x1", {.out = 80});
  x = basic_conv2d(b, x, "Conv2d_4a_3x3", {.out = 192, .kernel = 3});
  x = b.max_pool(x, "maxpool2", kReducingPool);
  x = block_a(b, x, "Mixed_5b", 32);
  x = block_a(b, x, "Mixed_5c", 64);
  x = block_a(b, x, "Mixed_5d", 64);
  x = block_b(b, x, "Mixed_6a");
  x = block_c(b, x, "Mixed_6b", 128);
  x = block_c(b, x, "Mixed_6c", 160);
  x = block_c(b, x, "Mixed_6d", 160);
  x = block_c(b, x, "Mixed_6e", 192);
  // torchvision registers AuxLogits here, between Mixed_6e and Mixed_7a, and so does its state_dict.
  std::vector<ValueId> aux;
  if (config.aux_logits) aux.push_back(aux_head(b, x, config.num_classes));
  x = block_d(b, x, "Mixed_7a");
  x = block_e(b, x, "Mixed_7b");
  x = block_e(b, x, "Mixed_7c");
  x = b.adaptive_avg_pool(x, "avgpool", 1);
  x = b.flatten(b.dropout(x, "dropout", 0.5), "flatten");
  b.output(b.linear(x, "fc", {.out = config.num_classes}));
  for (ValueId a : aux) b.output(a);  // InceptionOutputs(logits, aux_logits)
  return b.finish();
}

}  // namespace

void add_inception_v3_family(std::vector<ModelInfo>& out) {
  // The auxiliary loss weight 0.4 is TF-slim's (train_image_classifier.py, `weights=0.4` on the AuxLogits loss),
  // with which Google trained the published Inception-v3; the paper gives none.
  out.push_back(
      {.name = "inception_v3",
       .family = "inception",
       .description =
           "Inception-v3 as torchvision: factorised 7x7/3x3, grid reductions; --aux-logits, --transform-input",
       .default_input = kInceptionInput,
       .default_classes = 1000,
       .torchvision = true,
       .options = kTakesAuxLogits | kTakesTransformInput,
       .build = inception_v3,
       .aux_loss_weight = 0.4});
}

}  // namespace cnnzoo::models
