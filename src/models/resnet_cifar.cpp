// The CIFAR residual networks: He et al. 2015 (section 4.2) ResNets with option-A shortcuts and their
// plain counterparts, He et al. 2016 pre-activation ResNets, and Zagoruyko & Komodakis' wide ResNets.
// Three stages at 32x32, 16x16 and 8x8; `--depth` picks the number of blocks per stage.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cnnzoo/error.h"
#include "models/common.h"
#include "models/families.h"
#include "models/resnet_blocks.h"

namespace cnnzoo::models {
namespace {

using resnet::Activation;
using resnet::Block;
using resnet::Branch;
using resnet::Shortcut;

/// depth = per_block * n + extra, n blocks per stage: 6n+2 for basic blocks (two 3x3 per block, the
/// first conv and fc), 9n+2 for bottlenecks, 6n+4 for WRN (which also counts its three 1x1 shortcuts).
struct DepthRule {
  int64_t default_depth;
  int64_t per_block;
  int64_t extra;
};

int64_t blocks_per_stage(const ModelConfig& config, const DepthRule& rule) {
  const int64_t depth = config.depth.value_or(rule.default_depth);
  if (depth < rule.per_block + rule.extra || (depth - rule.extra) % rule.per_block != 0) {
    throw OptionError({"ModelOptions::depth"},
                      fmt::format("{}: ModelOptions::depth must be {}n+{} with n >= 1 ({}, {}, {}, ...), got {}",
                                  config.name, rule.per_block, rule.extra, rule.per_block + rule.extra,
                                  2 * rule.per_block + rule.extra, 3 * rule.per_block + rule.extra, depth));
  }
  return (depth - rule.extra) / rule.per_block;
}

/// How a CIFAR model names itself at another depth: "resnet" + depth. Pre-activation ResNets are
/// registered with basic blocks (110) and with bottlenecks (164, 1001); a depth the other kind is registered
/// under gets the block kind appended, so that a name never means a different network.
struct Naming {
  std::string prefix;
  std::vector<int64_t> other_kind_depths{};
  std::string kind_suffix{};
};

Graph cifar_resnet(const ModelConfig& config, const Block& k, const DepthRule& rule, const Naming& naming) {
  const int64_t n = blocks_per_stage(config, rule);
  const int64_t depth = config.depth.value_or(rule.default_depth);
  const bool taken = std::find(naming.other_kind_depths.begin(), naming.other_kind_depths.end(), depth) !=
                     naming.other_kind_depths.end();
  const std::string name =
      fmt::format("{}{}{}{}", naming.prefix, depth, taken ? naming.kind_suffix : "", config.no_bn ? "_nobn" : "");
  Block block = k;
  block.batch_norm = !config.no_bn;
  return resnet::build(named(config, name),
                       {.stem = resnet::Stem::Cifar, .block = block, .stages = resnet::cifar_stages(n)});
}

// WRN-d-k: pre-activation basic blocks 16k, 32k, 64k wide; `--width` is k.
Graph wide_resnet(const ModelConfig& config) {
  const int64_t n = blocks_per_stage(config, {.default_depth = 28, .per_block = 6, .extra = 4});
  const int64_t k = config.width.value_or(10);
  return resnet::build(named(config, fmt::format("wrn{}_{}", 6 * n + 4, k)),
                       {.stem = resnet::Stem::Cifar,
                        .block = {.activation = Activation::Pre},
                        .stages = resnet::cifar_stages(n, 16 * k)});
}

void add(std::vector<ModelInfo>& out, std::string name, std::string family, std::string description, const Block& k,
         const DepthRule& rule, const Naming& naming) {
  // --no-bn for the post-activation nets of He et al. 2015 (ResNets and plain nets).
  const unsigned options = kTakesDepth | (k.activation == Activation::Post ? kTakesNoBn : 0u);
  out.push_back({std::move(name), std::move(family), std::move(description), kCifarInput, 10, false, options,
                 [k, rule, naming](const ModelConfig& config) { return cifar_resnet(config, k, rule, naming); }});
}

}  // namespace

void add_cifar_resnet_family(std::vector<ModelInfo>& out) {
  const Block option_a{.shortcut = Shortcut::ZeroPad};
  for (int64_t depth : {20, 32, 44, 56, 110, 1202}) {
    add(out, fmt::format("resnet{}", depth), "cifar_resnet",
        fmt::format("CIFAR ResNet-{} (He et al. 2015, 4.2): 16/32/64 maps, 6n+2 layers, option-A shortcuts", depth),
        option_a, {depth, 6, 2}, {"resnet"});
  }
  const Block plain{.shortcut = Shortcut::None};
  for (int64_t depth : {20, 32, 44, 56, 110}) {
    add(out, fmt::format("plain{}", depth), "cifar_resnet",
        fmt::format("CIFAR plain net of {} layers (He et al. 2015, 4.2): ResNet-{} without shortcuts", depth, depth),
        plain, {depth, 6, 2}, {"plain"});
  }
  const std::vector<int64_t> preact_basic_depths{110}, preact_bottleneck_depths{164, 1001};
  add(out, "preact_resnet110", "cifar_resnet",
      "CIFAR pre-activation ResNet-110 (He et al. 2016): basic blocks, 6n+2, projection shortcuts",
      {.activation = Activation::Pre}, {110, 6, 2}, {"preact_resnet", preact_bottleneck_depths, "_basic"});
  // He et al.'s resnet-pre-act.lua strides on the first 1x1 of the bottleneck.
  const Block preact_bottleneck{
      .branch = Branch::Bottleneck, .activation = Activation::Pre, .stride_at = resnet::StrideAt::FirstConv1x1};
  for (int64_t depth : preact_bottleneck_depths) {
    add(out, fmt::format("preact_resnet{}", depth), "cifar_resnet",
        fmt::format("CIFAR pre-activation ResNet-{} (He et al. 2016): bottlenecks to 64/128/256, 9n+2", depth),
        preact_bottleneck, {depth, 9, 2}, {"preact_resnet", preact_basic_depths, "_bottleneck"});
  }
  out.push_back({"wrn28_10", "wide_resnet",
                 "Wide ResNet WRN-28-10 (Zagoruyko & Komodakis 2016): --depth 6n+4, --width k (widen factor)",
                 kCifarInput, 10, false, kTakesDepth | kTakesWidth, wide_resnet});
}

}  // namespace cnnzoo::models
