// The residual networks of He et al. and their descendants, as one builder driven by a small plan:
// the block (basic or bottleneck, post- or pre-activation, its shortcut, groups, width, SE), the stem
// (ImageNet or CIFAR) and a table of stages. resnet.cpp and resnet_cifar.cpp are tables of plans.
//
// Names follow torchvision's ResNet: conv1, bn1, relu, maxpool, layerS.B.{convK, bnK, relu,
// downsample.0, downsample.1}, avgpool, fc; so a torchvision-compatible plan has torchvision's
// state_dict keys in torchvision's order. Additions of our own: the residual sum `layerS.B.add`,
// the SE gate `layerS.B.se.*`, the option-A shortcut `layerS.B.shortcut.*` and the pre-activation
// nets' final `bn_final`.
#pragma once

#include <cstdint>
#include <vector>

#include "cnnzoo/builder.h"
#include "cnnzoo/models.h"

namespace cnnzoo::models::resnet {

/// The residual branch: two 3x3 convolutions, or 1x1 (reduce), 3x3 (grouped), 1x1 (expand by 4).
enum class Branch { Basic, Bottleneck };

/// Where a block's BN-ReLU sit: after each convolution with a ReLU after the sum (He et al. 2015), or
/// before each convolution with nothing after the sum (He et al. 2016, "Identity Mappings").
enum class Activation { Post, Pre };

/// What carries x past a block whose output shape differs from its input's.
enum class Shortcut {
  Projection,  ///< 1x1 convolution with the block's stride ("option B"); BN after it in post-activation blocks
  ZeroPad,     ///< subsampling x[:, :, ::s, ::s] and zero channels ("option A"): no parameters
  None,        ///< no shortcut and no sum at all: the plain networks
};

/// Where a bottleneck block strides.
enum class StrideAt {
  Conv3x3,      ///< on the 3x3 ("ResNet v1.5", torchvision, fb.resnet.torch)
  FirstConv1x1  ///< on the first 1x1, as He et al. 2015 published (Caffe models, "v1")
};

enum class Stem {
  ImageNet,  ///< 7x7/2 conv with 64 maps, BN, ReLU, 3x3/2 max pool
  Cifar,     ///< 3x3 conv with 16 maps; BN-ReLU after it only in post-activation nets
};

struct Block {
  Branch branch = Branch::Basic;
  Activation activation = Activation::Post;
  Shortcut shortcut = Shortcut::Projection;
  StrideAt stride_at = StrideAt::Conv3x3;
  int64_t groups = 1;            ///< groups of the bottleneck's 3x3 (ResNeXt)
  int64_t width_per_group = 64;  ///< bottleneck width = planes * width_per_group / 64 * groups
  int64_t se_reduction = 0;      ///< squeeze-and-excitation on the branch, C -> C / r -> C; 0 = none
  /// Post-activation blocks and stems only: false drops every BN (the convolutions then have biases), as in
  /// the experiments of Ioffe & Szegedy 2015 and He et al. 2015 on training without it.
  bool batch_norm = true;
};

/// `blocks` blocks of `planes` planes (the basic block's width; a bottleneck outputs 4 x planes), the
/// first with `stride`.
struct Stage {
  int64_t blocks;
  int64_t planes;
  int64_t stride;
};

struct Plan {
  Stem stem = Stem::ImageNet;
  Block block;
  std::vector<Stage> stages;
};

/// The four ImageNet stages of 64, 128, 256, 512 planes with `blocks` blocks each ({3, 4, 6, 3}).
std::vector<Stage> imagenet_stages(const std::vector<int64_t>& blocks);

/// Three CIFAR stages of `n` blocks with planes p, 2p, 4p at 32x32, 16x16, 8x8.
std::vector<Stage> cifar_stages(int64_t n, int64_t planes = 16);

/// The network: stem, stages "layer1"... , then for pre-activation nets `bn_final` and ReLU, then
/// avgpool (adaptive to 1x1), flatten, fc.
Graph build(const ModelConfig& config, const Plan& plan);

}  // namespace cnnzoo::models::resnet
