#include <fmt/format.h>

#include <algorithm>

#include "cnnzoo/checked.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"
#include "cnnzoo/nearest_names.h"
#include "models/families.h"

namespace cnnzoo {
namespace {

std::vector<ModelInfo> make_registry() {
  std::vector<ModelInfo> all;
  models::add_alexnet_family(all);
  models::add_vgg_family(all);
  models::add_googlenet_family(all);
  models::add_resnet_family(all);
  models::add_cifar_resnet_family(all);
  models::add_densenet_family(all);
  return all;
}

struct OptionFlag {
  unsigned bit;
  const char* flag;
  bool (*given)(const ModelOptions&);
};

constexpr OptionFlag kOptionFlags[] = {
    {kTakesDepth, "--depth", [](const ModelOptions& o) { return o.depth.has_value(); }},
    {kTakesWidth, "--width", [](const ModelOptions& o) { return o.width.has_value(); }},
    {kTakesGroups, "--groups", [](const ModelOptions& o) { return o.groups.has_value(); }},
    {kTakesGrowthRate, "--growth-rate", [](const ModelOptions& o) { return o.growth_rate.has_value(); }},
    {kTakesAuxLogits, "--aux-logits", [](const ModelOptions& o) { return o.aux_logits; }},
    {kTakesWide, "--wide", [](const ModelOptions& o) { return o.wide; }},
};

std::string accepted_flags(unsigned bits) {
  std::vector<std::string> names;
  for (const OptionFlag& f : kOptionFlags) {
    if (bits & f.bit) names.emplace_back(f.flag);
  }
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

void check_positive(std::string_view flag, const std::optional<int64_t>& v) {
  if (v && *v < 1) throw InvalidArgument(fmt::format("{} must be a positive integer, got {}", flag, *v));
}

}  // namespace

Dims ModelConfig::input_shape() const {
  Dims shape{batch};
  shape.insert(shape.end(), input.begin(), input.end());
  return shape;
}

const std::vector<ModelInfo>& list_models() {
  static const std::vector<ModelInfo> registry = make_registry();
  return registry;
}

const ModelInfo& find_model(std::string_view name) {
  const auto& all = list_models();
  auto it = std::find_if(all.begin(), all.end(), [&](const ModelInfo& m) { return m.name == name; });
  if (it != all.end()) return *it;
  std::vector<std::string> names;
  for (const ModelInfo& m : all) names.push_back(m.name);
  // The likely typo first, then every name.
  throw UnknownNameError(fmt::format("unknown model '{}';{} known models: {}", name,
                                     did_you_mean(nearest_names(name, names)), fmt::join(names, ", ")));
}

Graph build_model(std::string_view name, const ModelOptions& options) {
  const ModelInfo& info = find_model(name);
  for (const OptionFlag& f : kOptionFlags) {
    if (f.given(options) && !(info.options & f.bit)) {
      throw InvalidArgument(
          fmt::format("model '{}' does not take {} (it takes: {})", info.name, f.flag, accepted_flags(info.options)));
    }
  }
  if (options.batch < 1)
    throw InvalidArgument(fmt::format("--batch must be a positive integer, got {}", options.batch));
  check_positive("--num-classes", options.num_classes);
  check_positive("--depth", options.depth);
  if (options.depth && *options.depth > kMaxModelDepth) {
    throw InvalidArgument(
        fmt::format("--depth {} is above the maximum {} layers (the deepest published CIFAR network "
                    "has 1,202; docs/counting.md)",
                    *options.depth, kMaxModelDepth));
  }
  if (options.batch > kMaxDim) {
    throw InvalidArgument(
        fmt::format("--batch {} is above the maximum {} (2^31 - 1; docs/counting.md)", options.batch, kMaxDim));
  }
  check_positive("--width", options.width);
  check_positive("--groups", options.groups);
  check_positive("--growth-rate", options.growth_rate);
  ModelConfig config{
      .name = info.name,
      .batch = options.batch,
      .num_classes = options.num_classes.value_or(info.default_classes),
      .input = options.input.value_or(info.default_input),
      .depth = options.depth,
      .width = options.width,
      .groups = options.groups,
      .growth_rate = options.growth_rate,
      .aux_logits = options.aux_logits,
      .wide = options.wide,
  };
  if (config.input.size() != 3) {
    throw InvalidArgument(fmt::format("--input must be CxHxW, got {} dimensions", config.input.size()));
  }
  for (int64_t d : config.input) {
    if (d > kMaxDim) {
      throw InvalidArgument(fmt::format("--input {}: dimension {} is above the maximum {} (2^31 - 1; docs/counting.md)",
                                        to_string(config.input), d, kMaxDim));
    }
  }
  return info.build(config);
}

}  // namespace cnnzoo
