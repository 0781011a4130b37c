// The model zoo: a registry of the classic ImageNet networks and their paper and CIFAR variants.
//
// Each model is a short function driven by a small table, as torchvision writes them. The
// torchvision-compatible ones have exactly torchvision's parameter names, counts and multiply-adds.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cnnzoo/graph.h"

namespace cnnzoo {

/// What a user may set when building a model. Unset fields take the model's defaults.
struct ModelOptions {
  int64_t batch = 1;
  std::optional<int64_t> num_classes{};
  std::optional<Dims> input{};  ///< C, H, W
  std::optional<int64_t> depth{};
  std::optional<int64_t> width{};  ///< widen factor (WRN), width per group (ResNeXt), base width
  std::optional<int64_t> groups{};
  std::optional<int64_t> growth_rate{};
  bool aux_logits = false;  ///< GoogLeNet's and Inception-v3's auxiliary classifiers
  /// Inception-v3's transform_input: its input, normalised by ImageNet's mean and std, is mapped to (x - 0.5) / 0.5
  bool transform_input = false;
  bool wide = false;   ///< ZFNet's 512/1024/512 variant
  bool no_bn = false;  ///< without batch normalisation (its convolutions then have biases)
  /// Inception-ResNet's residual scales of its 35x35, 17x17 and 8x8 blocks (0.17, 0.1, 0.2 in the paper's port).
  std::optional<std::vector<double>> residual_scales{};
};

/// The options a model takes, as a bit set; passing another one is an error that names it.
enum ModelOptionBits : unsigned {
  kTakesDepth = 1u << 0,
  kTakesWidth = 1u << 1,
  kTakesGroups = 1u << 2,
  kTakesGrowthRate = 1u << 3,
  kTakesAuxLogits = 1u << 4,
  kTakesWide = 1u << 5,
  kTakesNoBn = 1u << 6,
  kTakesResidualScales = 1u << 7,
  kTakesTransformInput = 1u << 8,
};

/// The options after defaults are applied, as a model function receives them.
struct ModelConfig {
  std::string name;
  int64_t batch = 1;
  int64_t num_classes = 1000;
  Dims input{};  ///< C, H, W
  std::optional<int64_t> depth{};
  std::optional<int64_t> width{};
  std::optional<int64_t> groups{};
  std::optional<int64_t> growth_rate{};
  bool aux_logits = false;
  bool transform_input = false;
  bool wide = false;
  bool no_bn = false;
  std::optional<std::vector<double>> residual_scales{};
  /// N, C, H, W of the graph input.
  Dims input_shape() const;
};

struct ModelInfo {
  std::string name;
  std::string family;       ///< "resnet", "vgg", ...
  std::string description;  ///< one line: the paper or library it follows
  Dims default_input;       ///< C, H, W
  int64_t default_classes = 1000;
  bool torchvision = false;  ///< parameter names and counts equal torchvision's
  unsigned options = 0;      ///< ModelOptionBits it takes
  std::function<Graph(const ModelConfig&)> build;
  /// The weight of each auxiliary classifier's loss in training, as the model's authors trained it (0: none).
  double aux_loss_weight = 0.0;
};

/// Every registered model, in a stable order (by family, then as the papers list them).
const std::vector<ModelInfo>& list_models();

/// Whether `name` is a registered model (find_model() would return it).
bool has_model(std::string_view name);

/// The model of that name; throws UnknownNameError listing the known names.
const ModelInfo& find_model(std::string_view name);

/// Builds the named model with defaults applied; throws InvalidArgument for an option it does not take.
Graph build_model(std::string_view name, const ModelOptions& options = {});

/// A model's accuracy on ImageNet-1K's validation set as the publisher of its weights measured it.
struct PublishedAccuracy {
  std::string_view weights;   ///< "ResNet50_Weights.IMAGENET1K_V1"
  double top1 = 0, top5 = 0;  ///< percent
};

/// torchvision 0.14's figures for the classic (IMAGENET1K_V1) weights of a zoo model built as torchvision
/// builds it; none for the other models.
std::optional<PublishedAccuracy> published_accuracy(std::string_view model);

}  // namespace cnnzoo
