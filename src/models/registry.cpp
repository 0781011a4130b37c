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
  models::add_inception_v3_family(all);
  models::add_inception_v4_family(all);
  models::add_resnet_family(all);
  models::add_cifar_resnet_family(all);
  models::add_densenet_family(all);
  return all;
}

// A model option only some models take, by its field.
struct OptionalOption {
  unsigned bit;
  const char* field;
  bool (*given)(const ModelOptions&);
};

constexpr OptionalOption kOptionalOptions[] = {
    {kTakesDepth, "ModelOptions::depth", [](const ModelOptions& options) { return options.depth.has_value(); }},
    {kTakesWidth, "ModelOptions::width", [](const ModelOptions& options) { return options.width.has_value(); }},
    {kTakesGroups, "ModelOptions::groups", [](const ModelOptions& options) { return options.groups.has_value(); }},
    {kTakesGrowthRate, "ModelOptions::growth_rate",
     [](const ModelOptions& options) { return options.growth_rate.has_value(); }},
    {kTakesAuxLogits, "ModelOptions::aux_logits", [](const ModelOptions& options) { return options.aux_logits; }},
    {kTakesWide, "ModelOptions::wide", [](const ModelOptions& options) { return options.wide; }},
    {kTakesNoBn, "ModelOptions::no_bn", [](const ModelOptions& options) { return options.no_bn; }},
    {kTakesTransformInput, "ModelOptions::transform_input",
     [](const ModelOptions& options) { return options.transform_input; }},
    {kTakesResidualScales, "ModelOptions::residual_scales",
     [](const ModelOptions& options) { return options.residual_scales.has_value(); }},
};

// The optional options a model takes (`bits`), as the fields an error about them names.
std::vector<std::string> accepted_options(unsigned bits) {
  std::vector<std::string> fields;
  for (const OptionalOption& option : kOptionalOptions) {
    if (bits & option.bit) fields.emplace_back(option.field);
  }
  return fields;
}

void check_positive(const std::string& field, const std::optional<int64_t>& value) {
  if (value && *value < 1) {
    throw OptionError({field}, fmt::format("{} must be a positive integer, got {}", field, *value));
  }
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

bool has_model(std::string_view name) {
  const auto& all = list_models();
  return std::any_of(all.begin(), all.end(), [&](const ModelInfo& m) { return m.name == name; });
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
  for (const OptionalOption& option : kOptionalOptions) {
    if (option.given(options) && !(info.options & option.bit)) {
      std::vector<std::string> fields = accepted_options(info.options);
      const std::string accepted = fields.empty() ? "none" : fmt::format("{}", fmt::join(fields, ", "));
      fields.insert(fields.begin(), option.field);
      throw OptionError(std::move(fields),
                        fmt::format("model '{}' does not take {} (it takes: {})", info.name, option.field, accepted));
    }
  }
  check_positive("ModelOptions::batch", options.batch);
  check_positive("ModelOptions::num_classes", options.num_classes);
  check_positive("ModelOptions::depth", options.depth);
  if (options.depth && *options.depth > kMaxModelDepth) {
    throw OptionError({"ModelOptions::depth"},
                      fmt::format("ModelOptions::depth {} is above the maximum {} layers (the deepest published "
                                  "CIFAR network has 1,202; docs/counting.md)",
                                  *options.depth, kMaxModelDepth));
  }
  if (options.batch > kMaxDim) {
    throw OptionError({"ModelOptions::batch"},
                      fmt::format("ModelOptions::batch {} is above the maximum {} (2^31 - 1; docs/counting.md)",
                                  options.batch, kMaxDim));
  }
  check_positive("ModelOptions::width", options.width);
  check_positive("ModelOptions::groups", options.groups);
  check_positive("ModelOptions::growth_rate", options.growth_rate);
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
      .transform_input = options.transform_input,
      .wide = options.wide,
      .no_bn = options.no_bn,
      .residual_scales = options.residual_scales,
  };
  if (config.input.size() != 3) {
    throw OptionError({"ModelOptions::input"},
                      fmt::format("ModelOptions::input must be CxHxW, got {} dimensions", config.input.size()));
  }
  for (int64_t d : config.input) {
    if (d > kMaxDim) {
      throw OptionError({"ModelOptions::input"},
                        fmt::format("ModelOptions::input {}: dimension {} is above the maximum {} (2^31 - 1; "
                                    "docs/counting.md)",
                                    to_string(config.input), d, kMaxDim));
    }
  }
  return info.build(config);
}

}  // namespace cnnzoo
