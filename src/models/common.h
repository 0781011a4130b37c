// Small helpers the model files share.
#pragma once

#include <fmt/format.h>

#include <string>

#include "cnnzoo/builder.h"
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

/// The ImageNet defaults: 3x224x224, 1000 classes.
inline const Dims kImageNetInput{3, 224, 224};
inline const Dims kCifarInput{3, 32, 32};
/// The Inceptions from v3 on: 3x299x299.
inline const Dims kInceptionInput{3, 299, 299};

}  // namespace cnnzoo::models
