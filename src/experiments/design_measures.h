// The numbers of `experiment design`, measured on graphs (the zoo's, or small ones built here with the
// builder) by the analysis, never from formulas: the tests check them against hand counts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnzoo/analysis.h"

namespace cnnzoo::experiments {

/// Figures of a graph or of a part of one.
struct Cost {
  std::string label{};
  int64_t activation_bytes = 0;  ///< the layer rows' outputs, fp32, batch 1
  int64_t params = 0;
  int64_t macs = 0;
  Hw receptive_field{};
  int64_t nonlinearities = 0;  ///< ReLUs
};

/// One 5x5 convolution against two 3x3 ones (each followed by a ReLU, no bias), C -> C channels on an
/// H x W map with "same" padding: params 25C^2 vs 18C^2, MACs 25C^2HW vs 18C^2HW, both see 5x5.
struct ConvPair {
  int64_t channels = 0, size = 0;
  Cost one_5x5{}, two_3x3{};
};
ConvPair measure_conv_pair(int64_t channels, int64_t size);

/// A convolution of VGG-16 (torchvision's features.N) and the stage it belongs to (1-5: pools end stages).
struct VggConv {
  std::string name;
  int stage = 0;
  int64_t in_channels = 0, out_channels = 0, size = 0;  ///< size: output H (= W)
  int64_t params = 0, macs = 0;
};
std::vector<VggConv> measure_vgg16_convs();

/// GoogLeNet's stem (to its first 28x28 row) against VGG-16 to the same resolution, and VGG-16's first six
/// convolutions (conv1_1 .. conv3_2, pool outputs not counted): the rows the lecture's VGG figures add up.
struct StemComparison {
  Cost googlenet_stem{}, vgg_to_28{}, vgg_six_convs{};
};
StemComparison measure_stems();

/// Residual blocks at 56x56 built with the builder (convolutions only, no BN): the basic block at 64 and at
/// 256 channels and the bottleneck 256 -> 64 -> 64 -> 256 (He et al. 2015, Figure 5).
std::vector<Cost> measure_blocks();

/// A network's classifier head against its whole: GoogLeNet's fc after global average pooling, VGG-16's
/// three fully connected layers.
struct Head {
  std::string model, head;  ///< "googlenet", "fc"
  int64_t head_params = 0, total_params = 0;
};
std::vector<Head> measure_heads();

/// AlexNet (torchvision's, at the lecture's 3x227x227) per layer row.
Analysis measure_alexnet();

/// Whether a row is a convolution or a fully connected layer (for AlexNet's groups).
bool is_conv_row(const LayerRow& row);
bool is_fc_row(const LayerRow& row);

/// SE-ResNet against the ResNet it extends (same strides).
struct SePair {
  std::string plain, se;
  int64_t plain_params = 0, se_params = 0, plain_macs = 0, se_macs = 0;
};
std::vector<SePair> measure_se();

/// DenseNet-121: the channels entering each dense layer of each block (k = 32 more per layer).
struct DenseBlock {
  std::string name{};                  ///< "denseblock1"
  std::vector<int64_t> in_channels{};  ///< per layer
  int64_t out_channels = 0;            ///< the block's concatenated output
};
std::vector<DenseBlock> measure_densenet121();

}  // namespace cnnzoo::experiments
