// Small helpers the model files share.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "cnnzoo/builder.h"
#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"

namespace cnnzoo::models {

/// Names the children of a torchvision nn.Sequential in order: "features.0", "features.1", ...
/// Call next() once per statement: C++ leaves the order of a call's arguments unspecified, so
/// `b.relu(b.conv(x, seq.next(), ...), seq.next())` may name the ReLU before the convolution.
class Sequential {
 public:
  explicit Sequential(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string next() { return fmt::format("{}.{}", prefix_, index_++); }

 private:
  std::string prefix_;
  int index_ = 0;
};

/// "prefix.name", or "name" when the prefix is empty.
inline std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

/// The config under the name of what it builds ("resnet110" for resnet56 --depth 110), so that the graph,
/// its summary and its ONNX file name the network that was built rather than the one asked for.
inline ModelConfig named(ModelConfig config, std::string name) {
  config.name = std::move(name);
  return config;
}

/// BasicConv2d of torchvision's GoogLeNet and Inception-v3 and of timm's Inception-v4 and Inception-ResNet-v2: a
/// convolution without bias (`name.conv`), batch norm with eps 0.001 as TensorFlow trained them (`name.bn`), ReLU.
inline ValueId basic_conv2d(Builder& b, ValueId x, const std::string& name, attr::Conv a) {
  a.bias = false;
  x = b.batch_norm(b.conv(x, name + ".conv", a), name + ".bn", {.eps = 1e-3});
  return b.relu(x, name + ".relu");
}

/// The factorised convolutions of Inception-v3 on (Szegedy et al. 2015, figure 6): a 1 x k row or a k x 1 column
/// of `out` channels, padded to keep the map's size.
inline attr::Conv row(int64_t out, int64_t k) { return {.out = out, .kernel = Hw(1, k), .pad = Hw(0, k / 2)}; }
inline attr::Conv column(int64_t out, int64_t k) { return {.out = out, .kernel = Hw(k, 1), .pad = Hw(k / 2, 0)}; }

/// torchvision's transform_input of GoogLeNet and Inception-v3, a node named "transform_input": input normalised
/// by ImageNet's mean and std becomes the same image normalised to (x - 0.5) / 0.5, the range of the weights Google
/// trained, by x std / 0.5 + (mean - 0.5) / 0.5 in each channel.
inline ValueId transform_input(Builder& b, ValueId x, std::string_view model) {
  const int64_t channels = b.shape(x)[1];
  if (channels != 3) {
    throw OptionError({"ModelOptions::transform_input"},
                      fmt::format("{}'s transform_input maps the 3 channels of an RGB image normalised by ImageNet's "
                                  "mean and std; this input has {}: drop the option or give a 3-channel input",
                                  model, channels));
  }
  attr::ChannelAffine a;
  for (std::size_t c = 0; c < 3; ++c) {
    a.scale.push_back(kImageNetStd[c] / 0.5);
    a.shift.push_back((kImageNetMean[c] - 0.5) / 0.5);
  }
  return b.append(OpKind::ChannelAffine, "transform_input", std::move(a), {x});
}

/// The ImageNet defaults: 3x224x224, 1000 classes.
inline const Dims kImageNetInput{3, 224, 224};
inline const Dims kCifarInput{3, 32, 32};
/// The Inceptions from v3 on: 3x299x299.
inline const Dims kInceptionInput{3, 299, 299};

}  // namespace cnnzoo::models
