#include "models/resnet_blocks.h"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "cnnzoo/error.h"
#include "models/common.h"

namespace cnnzoo::models::resnet {
namespace {

// The convolutions of the residual branch, in order; the blocks name them conv1, conv2, ...
std::vector<attr::Conv> branch_convs(const Block& k, int64_t planes, int64_t stride) {
  const bool bias = !k.batch_norm;  // a BN's shift makes a bias redundant; without BN it is needed
  if (k.branch == Branch::Basic) {
    return {{.out = planes, .kernel = 3, .stride = stride, .pad = 1, .bias = bias},
            {.out = planes, .kernel = 3, .pad = 1, .bias = bias}};
  }
  const int64_t width = planes * k.width_per_group / 64 * k.groups;
  const bool on_3x3 = k.stride_at == StrideAt::Conv3x3;
  return {{.out = width, .stride = on_3x3 ? 1 : stride, .bias = bias},
          {.out = width, .kernel = 3, .stride = on_3x3 ? stride : 1, .pad = 1, .groups = k.groups, .bias = bias},
          {.out = planes * 4, .bias = bias}};
}

// Hu et al.: squeeze (global average), excite (C -> C/r -> C through ReLU and sigmoid), rescale.
ValueId squeeze_excite(Builder& b, ValueId x, const std::string& prefix, int64_t reduction) {
  const int64_t channels = b.channels(x);
  ValueId s = b.global_avg_pool(x, join(prefix, "avgpool"));
  s = b.relu(b.conv(s, join(prefix, "fc1"), {.out = channels / reduction}), join(prefix, "relu"));
  s = b.sigmoid(b.conv(s, join(prefix, "fc2"), {.out = channels}), join(prefix, "sigmoid"));
  return b.channel_mul(x, s, join(prefix, "scale"));
}

// What the sum adds to the branch; nothing for a plain block. `x` is the block's input and
// `activated` the input after the block's first BN-ReLU, which a projection sees (He et al. 2016).
std::optional<ValueId> shortcut(Builder& b, const Block& k, const std::string& prefix, ValueId x, ValueId activated,
                                int64_t out, int64_t stride) {
  if (k.shortcut == Shortcut::None) return std::nullopt;
  const int64_t in = b.channels(x);
  if (stride == 1 && in == out) return x;
  if (k.shortcut == Shortcut::ZeroPad) {
    // A 1x1 max pool with stride s picks x[:, :, ::s, ::s]; the new channels are zeros, half before
    // and half after, as F.pad(x, (0, 0, 0, 0, planes // 4, planes // 4)) of the common implementation.
    ValueId y = stride == 1 ? x : b.max_pool(x, join(prefix, "shortcut.subsample"), {.kernel = 1, .stride = stride});
    if (out != in) y = b.channel_pad(y, join(prefix, "shortcut.pad"), (out - in) / 2, out - in - (out - in) / 2);
    return y;
  }
  ValueId y = b.conv(activated, join(prefix, "downsample.0"), {.out = out, .stride = stride, .bias = !k.batch_norm});
  if (k.activation == Activation::Post && k.batch_norm) y = b.batch_norm(y, join(prefix, "downsample.1"));
  return y;
}

// conv-BN(-ReLU) per convolution, SE on the branch, sum, ReLU (He et al. 2015; torchvision).
ValueId post_activation_block(Builder& b, const Block& k, const std::string& prefix, ValueId x, int64_t planes,
                              int64_t stride) {
  const auto convs = branch_convs(k, planes, stride);
  const std::string relu = join(prefix, "relu");
  ValueId y = x;
  for (std::size_t i = 0; i < convs.size(); ++i) {
    y = b.conv(y, fmt::format("{}.conv{}", prefix, i + 1), convs[i]);
    if (k.batch_norm) y = b.batch_norm(y, fmt::format("{}.bn{}", prefix, i + 1));
    if (i + 1 < convs.size()) y = b.relu(y, relu);
  }
  if (k.se_reduction > 0) y = squeeze_excite(b, y, join(prefix, "se"), k.se_reduction);
  if (const auto sc = shortcut(b, k, prefix, x, x, b.channels(y), stride)) y = b.add({y, *sc}, join(prefix, "add"));
  return b.relu(y, relu);
}

// BN-ReLU-conv per convolution, then the sum and nothing after it (He et al. 2016). bnK precedes
// convK. `activate_input` is false where the input already is a BN-ReLU output (after the ImageNet
// stem, fb.resnet.torch's "no_preact" first block); the block then has no bn1.
ValueId pre_activation_block(Builder& b, const Block& k, const std::string& prefix, ValueId x, int64_t planes,
                             int64_t stride, bool activate_input) {
  const auto convs = branch_convs(k, planes, stride);
  const std::string relu = join(prefix, "relu");
  const ValueId activated = activate_input ? b.relu(b.batch_norm(x, join(prefix, "bn1")), relu) : x;
  ValueId y = activated;
  for (std::size_t i = 0; i < convs.size(); ++i) {
    if (i > 0) y = b.relu(b.batch_norm(y, fmt::format("{}.bn{}", prefix, i + 1)), relu);
    y = b.conv(y, fmt::format("{}.conv{}", prefix, i + 1), convs[i]);
  }
  if (k.se_reduction > 0) y = squeeze_excite(b, y, join(prefix, "se"), k.se_reduction);
  const auto sc = shortcut(b, k, prefix, x, activated, b.channels(y), stride);
  return sc ? b.add({y, *sc}, join(prefix, "add")) : y;
}

}  // namespace

std::vector<Stage> imagenet_stages(const std::vector<int64_t>& blocks) {
  std::vector<Stage> stages;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    stages.push_back({.blocks = blocks[i], .planes = int64_t{64} << i, .stride = i == 0 ? 1 : 2});
  }
  return stages;
}

std::vector<Stage> cifar_stages(int64_t n, int64_t planes) {
  return {{.blocks = n, .planes = planes, .stride = 1},
          {.blocks = n, .planes = 2 * planes, .stride = 2},
          {.blocks = n, .planes = 4 * planes, .stride = 2}};
}

Graph build(const ModelConfig& config, const Plan& plan) {
  Builder b(config.name, config.input_shape());
  const bool pre = plan.block.activation == Activation::Pre;
  const bool bn = plan.block.batch_norm;
  if (pre && !bn) throw GraphError(config.name + ": pre-activation blocks are built with batch norm only");
  ValueId x = b.input();
  // The CIFAR pre-activation nets (He et al.'s resnet-pre-act.lua, Zagoruyko's WRN) start with a bare
  // convolution: the first block's BN-ReLU follows it.
  const bool stem_activates = plan.stem == Stem::ImageNet || !pre;
  const auto stem_conv = [&](const attr::Conv& conv) {
    return bn ? b.conv_bn_relu(x, "conv1", conv, "bn1", "relu") : b.relu(b.conv(x, "conv1", conv), "relu");
  };
  if (plan.stem == Stem::ImageNet) {
    x = stem_conv({.out = 64, .kernel = 7, .stride = 2, .pad = 3, .bias = !bn});
    x = b.max_pool(x, "maxpool", {.kernel = 3, .stride = 2, .pad = 1});
  } else {
    const attr::Conv conv{.out = 16, .kernel = 3, .pad = 1, .bias = !bn};
    x = stem_activates ? stem_conv(conv) : b.conv(x, "conv1", conv);
  }
  for (std::size_t s = 0; s < plan.stages.size(); ++s) {
    const Stage& stage = plan.stages[s];
    for (int64_t i = 0; i < stage.blocks; ++i) {
      const std::string prefix = fmt::format("layer{}.{}", s + 1, i);
      const int64_t stride = i == 0 ? stage.stride : 1;
      if (pre) {
        const bool activate = !(s == 0 && i == 0 && stem_activates);
        x = pre_activation_block(b, plan.block, prefix, x, stage.planes, stride, activate);
      } else {
        x = post_activation_block(b, plan.block, prefix, x, stage.planes, stride);
      }
    }
  }
  if (pre) x = b.relu(b.batch_norm(x, "bn_final"), "relu");
  x = b.flatten(b.adaptive_avg_pool(x, "avgpool", 1), "flatten");
  b.output(b.linear(x, "fc", {.out = config.num_classes}));
  return b.finish();
}

}  // namespace cnnzoo::models::resnet
