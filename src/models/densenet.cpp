// DenseNet-BC (Huang et al., "Densely Connected Convolutional Networks", 2017): the ImageNet models as
// torchvision builds them, DenseNet-264 from the paper's table 1, and the CIFAR DenseNet-BC of table 2.
//
// Every dense layer is a bottleneck (BN-ReLU-1x1 conv to bn_size * k, BN-ReLU-3x3 conv to k) fed with
// the concatenation of its block's input and all earlier layers' outputs; each transition halves the
// channels (compression 0.5) and the map size. Convolutions have no bias, as in torchvision.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "cnnzoo/builder.h"
#include "cnnzoo/error.h"
#include "models/common.h"
#include "models/families.h"

namespace cnnzoo::models {
namespace {

constexpr int64_t kBnSize = 4;  // bottleneck width, in units of the growth rate

ValueId bn_relu(Builder& b, ValueId x, const std::string& norm, const std::string& relu) {
  return b.relu(b.batch_norm(x, norm), relu);
}

ValueId dense_block(Builder& b, ValueId x, const std::string& name, int64_t layers, int64_t growth) {
  std::vector<ValueId> features{x};
  for (int64_t l = 1; l <= layers; ++l) {
    const std::string layer = fmt::format("{}.denselayer{}", name, l);
    ValueId y = features.size() == 1 ? x : b.concat(features, layer + ".cat");
    y = bn_relu(b, y, layer + ".norm1", layer + ".relu1");
    y = b.conv(y, layer + ".conv1", {.out = kBnSize * growth, .kernel = 1, .bias = false});
    y = bn_relu(b, y, layer + ".norm2", layer + ".relu2");
    features.push_back(b.conv(y, layer + ".conv2", {.out = growth, .kernel = 3, .pad = 1, .bias = false}));
  }
  return b.concat(features, name + ".cat");
}

// Compression 0.5: torchvision's num_features // 2.
ValueId transition(Builder& b, ValueId x, const std::string& name) {
  x = bn_relu(b, x, name + ".norm", name + ".relu");
  x = b.conv(x, name + ".conv", {.out = b.channels(x) / 2, .kernel = 1, .bias = false});
  return b.avg_pool(x, name + ".pool", {.kernel = 2, .stride = 2});
}

struct Plan {
  int64_t growth;               ///< k, unless --growth-rate overrides it
  std::vector<int64_t> blocks;  ///< dense layers per block
  int64_t init;                 ///< stem channels; 0 = 2k with the CIFAR stem
  bool imagenet_stem;           ///< 7x7/2 conv, BN, ReLU, 3x3/2 max pool; else one 3x3 conv (CIFAR)
};

// `name` is what was built: "_k{k}" is appended when --growth-rate changes the table's k.
Graph densenet(const ModelConfig& config, const Plan& p, const std::string& name) {
  const int64_t k = config.growth_rate.value_or(p.growth);
  Builder b(k == p.growth ? name : fmt::format("{}_k{}", name, k), config.input_shape());
  ValueId x = b.input();
  if (p.imagenet_stem) {
    // --growth-rate changes k only; the stem keeps the table's width, as torchvision's
    // DenseNet(growth_rate, block_config, num_init_features) keeps them apart.
    x = b.conv(x, "features.conv0", {.out = p.init, .kernel = 7, .stride = 2, .pad = 3, .bias = false});
    x = bn_relu(b, x, "features.norm0", "features.relu0");
    x = b.max_pool(x, "features.pool0", {.kernel = 3, .stride = 2, .pad = 1});
  } else {
    x = b.conv(x, "features.conv0", {.out = 2 * k, .kernel = 3, .pad = 1, .bias = false});
  }
  for (std::size_t i = 0; i < p.blocks.size(); ++i) {
    x = dense_block(b, x, fmt::format("features.denseblock{}", i + 1), p.blocks[i], k);
    if (i + 1 < p.blocks.size()) x = transition(b, x, fmt::format("features.transition{}", i + 1));
  }
  // torchvision names the final BN norm5 whatever the number of blocks; its ReLU and pool are functional.
  x = bn_relu(b, x, "features.norm5", "relu");
  x = p.imagenet_stem ? b.adaptive_avg_pool(x, "avgpool", 1) : b.global_avg_pool(x, "avgpool");
  x = b.flatten(x, "flatten");
  b.output(b.linear(x, "classifier", {.out = config.num_classes}));
  return b.finish();
}

// CIFAR DenseNet-BC: depth L = 6n + 4 (three blocks of n two-conv layers, the first conv, two
// transitions and the classifier), 2k stem channels, maps 32, 16, 8.
Graph densenet_bc_cifar(const ModelConfig& config) {
  const int64_t depth = config.depth.value_or(100);
  if (depth < 10 || (depth - 4) % 6 != 0) {
    throw OptionError({"ModelOptions::depth"},
                      fmt::format("{}: ModelOptions::depth must be 6n+4 with n >= 1 (10, 16, ..., 100, ..., 250) for "
                                  "DenseNet-BC, got {}",
                                  config.name, depth));
  }
  const int64_t n = (depth - 4) / 6;
  return densenet(config, {.growth = 12, .blocks = {n, n, n}, .init = 0, .imagenet_stem = false},
                  fmt::format("densenet_bc{}", depth));
}

}  // namespace

void add_densenet_family(std::vector<ModelInfo>& out) {
  struct Row {
    int depth;
    Plan plan;
    bool torchvision;
  };
  const Row rows[] = {
      {121, {.growth = 32, .blocks = {6, 12, 24, 16}, .init = 64, .imagenet_stem = true}, true},
      {161, {.growth = 48, .blocks = {6, 12, 36, 24}, .init = 96, .imagenet_stem = true}, true},
      {169, {.growth = 32, .blocks = {6, 12, 32, 32}, .init = 64, .imagenet_stem = true}, true},
      {201, {.growth = 32, .blocks = {6, 12, 48, 32}, .init = 64, .imagenet_stem = true}, true},
      {264, {.growth = 32, .blocks = {6, 12, 64, 48}, .init = 64, .imagenet_stem = true}, false},
  };
  for (const Row& r : rows) {
    out.push_back({fmt::format("densenet{}", r.depth), "densenet",
                   fmt::format("DenseNet-{} (Huang et al. 2017), k={}, blocks {}{}", r.depth, r.plan.growth,
                               fmt::join(r.plan.blocks, "-"), r.torchvision ? ", as torchvision" : ", paper table 1"),
                   kImageNetInput, 1000, r.torchvision, kTakesGrowthRate,
                   [plan = r.plan](const ModelConfig& config) { return densenet(config, plan, config.name); }});
  }
  out.push_back(
      {"densenet_bc100", "densenet",
       "CIFAR DenseNet-BC (Huang et al. 2017, table 2): depth 6n+4 (default 100), k=12; --depth, --growth-rate",
       kCifarInput, 10, false, kTakesDepth | kTakesGrowthRate, densenet_bc_cifar});
}

}  // namespace cnnzoo::models
