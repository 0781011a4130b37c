// The ImageNet residual networks: ResNet-18 to 152, Wide ResNet-50/101-2 and ResNeXt-50/101 as
// torchvision builds them; ResNet-50/101/152 with He et al.'s original (2015) stride placement;
// pre-activation ResNets (He et al. 2016) and SE-ResNets (Hu et al. 2018).
#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "models/common.h"
#include "models/families.h"
#include "models/resnet_blocks.h"

namespace cnnzoo::models {
namespace {

using resnet::Activation;
using resnet::Block;
using resnet::Branch;
using resnet::StrideAt;

struct Depth {
  int64_t layers;
  Branch branch;
  std::vector<int64_t> blocks;  ///< per stage
};

const Depth kDepths[] = {
    {18, Branch::Basic, {2, 2, 2, 2}},        {34, Branch::Basic, {3, 4, 6, 3}},
    {50, Branch::Bottleneck, {3, 4, 6, 3}},   {101, Branch::Bottleneck, {3, 4, 23, 3}},
    {152, Branch::Bottleneck, {3, 8, 36, 3}},
};

const Depth& depth(int64_t layers) {
  for (const Depth& d : kDepths) {
    if (d.layers == layers) return d;
  }
  throw std::logic_error(fmt::format("no ResNet of {} layers in the table", layers));
}

// The name of a variant with other groups or width: torchvision's where it has one (resnet50 --groups 32
// --width 4 is resnext50_32x4d, --width 128 is wide_resnet50_2), else the variant's with "_{g}x{w}d".
std::string variant_name(const ModelConfig& config, const std::string& family, int64_t layers,
                         const Block& as_registered, const Block& built) {
  if (built.groups == as_registered.groups && built.width_per_group == as_registered.width_per_group)
    return config.name;
  const bool torchvision_family = family == "resnet" || family == "wide_resnet" || family == "resnext";
  if (!torchvision_family) return fmt::format("{}_{}x{}d", config.name, built.groups, built.width_per_group);
  if (built.groups == 1 && built.width_per_group % 64 == 0) {
    const int64_t factor = built.width_per_group / 64;
    return factor == 1 ? fmt::format("resnet{}", layers) : fmt::format("wide_resnet{}_{}", layers, factor);
  }
  return fmt::format("resnext{}_{}x{}d", layers, built.groups, built.width_per_group);
}

// `--width` (width per group) and `--groups` reshape the bottleneck's 3x3, as torchvision's
// width_per_group and groups: resnet50 --groups 32 --width 4 is resnext50_32x4d.
Graph imagenet_resnet(const ModelConfig& config, const std::string& family, const Depth& d, const Block& registered) {
  Block k = registered;
  k.branch = d.branch;
  k.width_per_group = config.width.value_or(k.width_per_group);
  k.groups = config.groups.value_or(k.groups);
  return resnet::build(named(config, variant_name(config, family, d.layers, registered, k)),
                       {.stem = resnet::Stem::ImageNet, .block = k, .stages = resnet::imagenet_stages(d.blocks)});
}

struct Variant {
  std::string name;
  std::string family;
  std::string description;
  int64_t layers;
  Block block;
  bool torchvision = false;
};

std::vector<Variant> variants() {
  std::vector<Variant> v;
  for (const Depth& d : kDepths) {
    v.push_back({.name = fmt::format("resnet{}", d.layers),
                 .family = "resnet",
                 .description = fmt::format(
                     "ResNet-{} as torchvision (He et al. 2015; bottleneck stride on the 3x3, \"v1.5\")", d.layers),
                 .layers = d.layers,
                 .block = {},
                 .torchvision = true});
  }
  for (int64_t layers : {50, 101, 152}) {
    v.push_back({.name = fmt::format("resnet{}_v1", layers),
                 .family = "resnet",
                 .description = fmt::format(
                     "ResNet-{} as He et al. 2015 published it: stride on the first 1x1 of a bottleneck", layers),
                 .layers = layers,
                 .block = {.stride_at = StrideAt::FirstConv1x1}});
  }
  for (int64_t layers : {50, 101}) {
    v.push_back({.name = fmt::format("wide_resnet{}_2", layers),
                 .family = "wide_resnet",
                 .description = fmt::format(
                     "Wide ResNet-{}-2 as torchvision (Zagoruyko & Komodakis 2016): bottlenecks twice as wide", layers),
                 .layers = layers,
                 .block = {.width_per_group = 128},
                 .torchvision = true});
  }
  v.push_back({.name = "resnext50_32x4d",
               .family = "resnext",
               .description = "ResNeXt-50 32x4d as torchvision (Xie et al. 2017)",
               .layers = 50,
               .block = {.groups = 32, .width_per_group = 4},
               .torchvision = true});
  v.push_back({.name = "resnext101_32x8d",
               .family = "resnext",
               .description = "ResNeXt-101 32x8d as torchvision (Xie et al. 2017)",
               .layers = 101,
               .block = {.groups = 32, .width_per_group = 8},
               .torchvision = true});
  for (const Depth& d : kDepths) {
    v.push_back({.name = fmt::format("preact_resnet{}", d.layers),
                 .family = "preact_resnet",
                 .description =
                     fmt::format("Pre-activation ResNet-{} (He et al. 2016) as fb.resnet.torch's preresnet", d.layers),
                 .layers = d.layers,
                 .block = {.activation = Activation::Pre}});
  }
  // The SE paper builds on the original ResNet (its Caffe models stride on the first 1x1).
  for (const Depth& d : kDepths) {
    v.push_back({.name = fmt::format("se_resnet{}", d.layers),
                 .family = "se_resnet",
                 .description =
                     fmt::format("SE-ResNet-{} (Hu et al. 2018): squeeze-and-excitation, r = 16, v1 strides", d.layers),
                 .layers = d.layers,
                 .block = {.stride_at = StrideAt::FirstConv1x1, .se_reduction = 16}});
  }
  return v;
}

}  // namespace

void add_resnet_family(std::vector<ModelInfo>& out) {
  for (Variant& v : variants()) {
    const Depth& d = depth(v.layers);
    const unsigned options = d.branch == Branch::Bottleneck ? kTakesWidth | kTakesGroups : 0u;
    out.push_back({std::move(v.name), v.family, std::move(v.description), kImageNetInput, 1000, v.torchvision, options,
                   [&d, family = v.family, block = v.block](const ModelConfig& config) {
                     return imagenet_resnet(config, family, d, block);
                   }});
  }
}

}  // namespace cnnzoo::models
