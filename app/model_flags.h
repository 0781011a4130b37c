// The flags that choose how a zoo model is built, shared by the subcommands that build one.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cnnzoo/models.h"

namespace cnnzoo::cli {

/// The help of --transform-input, which the model-building commands and train both take.
inline constexpr const char* kTransformInputHelp =
    "GoogLeNet, Inception-v3: begin with torchvision's transform_input, which maps input normalised by ImageNet's "
    "mean and std to the (x - 0.5) / 0.5 range of Google's weights";

struct ModelFlags {
  std::string input;  ///< "CxHxW" as typed
  std::vector<double> residual_scales;
  ModelOptions options;

  /// Registers --input, --batch, --num-classes, --depth, --width, --groups, --growth-rate, --aux-logits, --wide,
  /// --no-bn, --residual-scales.
  void add_to(CLI::App& command);
  /// The options with --input parsed; throws InvalidArgument naming --input when it is malformed.
  ModelOptions resolve() const;
};

/// Whether the MODEL argument names an ONNX file rather than a zoo model: by its extension, or by its
/// content whatever its name (model.bin).
bool names_onnx_file(const std::string& model);

/// Parses "3x224x224" into {3, 224, 224}; throws InvalidArgument naming `flag`.
Dims parse_chw(const std::string& text, const std::string& flag);

}  // namespace cnnzoo::cli
