#include "model_flags.h"

#include <fmt/format.h>

#include <charconv>

#include "cnnzoo/error.h"
#include "cnnzoo/onnx.h"
#include "flag_checks.h"

namespace cnnzoo::cli {

Dims parse_chw(const std::string& text, const std::string& flag) {
  Dims dims;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end) {
    int64_t v = 0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || v < 1 || (next != end && *next != 'x')) {
      dims.clear();
      break;
    }
    dims.push_back(v);
    p = next == end ? end : next + 1;
    if (next != end && p == end) dims.clear();  // trailing 'x'
  }
  if (dims.size() != 3) {
    throw InvalidArgument(
        fmt::format("{}: expected CxHxW with three positive integers, such as 3x224x224; got '{}'", flag, text));
  }
  return dims;
}

void ModelFlags::add_to(CLI::App& command) {
  command.add_option("--input", input, "Input size CxHxW (default: the model's own, e.g. 3x224x224)");
  command.add_option("--batch", options.batch, "Batch size N")->default_val(1)->check(at_least(1));
  command.add_option("--num-classes", options.num_classes, "Number of classes (default: the model's own)")
      ->check(at_least(1));
  command
      .add_option("--depth", options.depth, "Depth, where the paper defines a family (CIFAR ResNets, WRN, DenseNet-BC)")
      ->check(at_least(1));
  command.add_option("--width", options.width, "Widen factor (WRN) or width per group (ResNeXt/wide ResNet)")
      ->check(at_least(1));
  command.add_option("--groups", options.groups, "Groups of the bottleneck 3x3 convolution (ResNeXt)")
      ->check(at_least(1));
  command.add_option("--growth-rate", options.growth_rate, "Growth rate k (DenseNet)")->check(at_least(1));
  command.add_flag("--aux-logits", options.aux_logits, "Add GoogLeNet's or Inception-v3's auxiliary classifiers");
  command.add_flag("--transform-input", options.transform_input, kTransformInputHelp);
  command
      .add_option("--residual-scales", residual_scales,
                  "Inception-ResNet-v2: the 35x35, 17x17 and 8x8 blocks' residual scales (default 0.17,0.1,0.2)")
      ->delimiter(',')
      ->expected(3);
  command.add_flag("--wide", options.wide, "ZFNet's 512/1024/512 variant of layers 3-5");
  command.add_flag("--no-bn", options.no_bn,
                   "Without batch normalisation (CIFAR ResNets and plain nets, VGG *_bn); convolutions get biases");
}

ModelOptions ModelFlags::resolve() const {
  ModelOptions o = options;
  if (!input.empty()) o.input = parse_chw(input, "--input");
  if (!residual_scales.empty()) o.residual_scales = residual_scales;
  return o;
}

bool names_onnx_file(const std::string& model) { return model.ends_with(".onnx") || is_onnx_file(model); }

}  // namespace cnnzoo::cli
