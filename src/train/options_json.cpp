// Optimizer and schedule options as JSON objects, for checkpoint metadata.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cnnzoo/error.h"
#include "cnnzoo/optim.h"
#include "io/json_get.h"

namespace cnnzoo {
namespace {

using Json = nlohmann::ordered_json;

Json parse_object(const std::string& text, const char* what) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {
    throw InvalidArgument(fmt::format("{} options: not JSON: {}", what, e.what()));
  }
  if (!j.is_object()) throw InvalidArgument(fmt::format("{} options: expected a JSON object, got {}", what, text));
  return j;
}

// Reads each known field present into its member; any other field is an error naming it.
template <typename Options, typename... Fields>
Options read_fields(const Json& j, const char* what, Options out, Fields... fields) {
  for (const auto& item : j.items()) {
    // Named references, not a structured binding: clang before 16 cannot capture bindings in a lambda.
    const std::string& key = item.key();
    const Json& value = item.value();
    bool known = false;
    const auto read = [&](const auto& field) {
      if (field.first != key) return;
      known = true;
      try {
        out.*(field.second) = json_get<std::remove_reference_t<decltype(out.*(field.second))>>(value);
      } catch (const Json::exception&) {
        throw InvalidArgument(fmt::format("{} options: field '{}' has the wrong type: {}", what, key, value.dump()));
      }
    };
    (read(fields), ...);
    if (!known) throw InvalidArgument(fmt::format("{} options: unknown field '{}'", what, key));
  }
  return out;
}

template <typename T, typename M>
std::pair<std::string_view, M T::*> field(std::string_view name, M T::*member) {
  return {name, member};
}

}  // namespace

std::string to_json(const OptimizerOptions& o) {
  return Json{{"kind", o.kind},
              {"momentum", o.momentum},
              {"nesterov", o.nesterov},
              {"weight_decay", o.weight_decay},
              {"decay_bn_and_bias", o.decay_bn_and_bias},
              {"beta1", o.beta1},
              {"beta2", o.beta2},
              {"eps", o.eps}}
      .dump();
}

std::string to_json(const ScheduleOptions& o) {
  return Json{{"kind", o.kind},
              {"base_lr", o.base_lr},
              {"step_size", o.step_size},
              {"milestones", o.milestones},
              {"gamma", o.gamma},
              {"warmup_epochs", o.warmup_epochs},
              {"warmup_start_factor", o.warmup_start_factor},
              {"epochs", o.epochs},
              {"min_lr", o.min_lr}}
      .dump();
}

OptimizerOptions optimizer_options_from_json(const std::string& json) {
  using O = OptimizerOptions;
  return read_fields(parse_object(json, "optimizer"), "optimizer", O{}, field("kind", &O::kind),
                     field("momentum", &O::momentum), field("nesterov", &O::nesterov),
                     field("weight_decay", &O::weight_decay), field("decay_bn_and_bias", &O::decay_bn_and_bias),
                     field("beta1", &O::beta1), field("beta2", &O::beta2), field("eps", &O::eps));
}

ScheduleOptions schedule_options_from_json(const std::string& json) {
  using S = ScheduleOptions;
  return read_fields(parse_object(json, "schedule"), "schedule", S{}, field("kind", &S::kind),
                     field("base_lr", &S::base_lr), field("step_size", &S::step_size),
                     field("milestones", &S::milestones), field("gamma", &S::gamma),
                     field("warmup_epochs", &S::warmup_epochs), field("warmup_start_factor", &S::warmup_start_factor),
                     field("epochs", &S::epochs), field("min_lr", &S::min_lr));
}

}  // namespace cnnzoo
