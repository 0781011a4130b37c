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

/// The ImageNet defaults: 3x224x224, 1000 classes.
inline const Dims kImageNetInput{3, 224, 224};
inline const Dims kCifarInput{3, 32, 32};

}  // namespace cnnzoo::models
