#include "init/param_role.h"

#include <fmt/format.h>

#include <span>
#include <string_view>

#include "cnnzoo/error.h"

namespace cnnzoo::init {
namespace {

std::string_view suffix_of(const Node& node, const ParamSpec& param) {
  std::string_view name = param.name;
  if (name.size() <= node.name.size() + 1 || !name.starts_with(node.name) || name[node.name.size()] != '.') {
    throw Error(fmt::format("parameter '{}' is not named after its node '{}'", param.name, node.name));
  }
  return name.substr(node.name.size() + 1);
}

// fan_in and fan_out as torch.nn.init._calculate_fan_in_and_fan_out computes them.
void set_fans(const Node& node, ParamRole& r) {
  const auto weight = node.name + ".weight";
  for (const ParamSpec& p : node.params) {
    if (p.name != weight) continue;
    int64_t receptive = 1;
    for (std::size_t d = 2; d < p.shape.size(); ++d) receptive *= p.shape[d];
    r.fan_in = p.shape.at(1) * receptive;
    r.fan_out = p.shape.at(0) * receptive;
    return;
  }
  throw Error(fmt::format("node '{}' ({}) has no weight to take fan_in from", node.name, op_name(node.op)));
}

struct Suffix {
  std::string_view name;
  Role role;
};
constexpr Suffix kLayerSuffixes[] = {{"weight", Role::Weight}, {"bias", Role::Bias}};
constexpr Suffix kBatchNormSuffixes[] = {{"weight", Role::Weight},
                                         {"bias", Role::Bias},
                                         {"running_mean", Role::RunningMean},
                                         {"running_var", Role::RunningVar},
                                         {"num_batches_tracked", Role::NumBatchesTracked}};

}  // namespace

ParamRole param_role(const Node& node, const ParamSpec& param) {
  const std::string_view suffix = suffix_of(node, param);
  const bool bn = node.op == OpKind::BatchNorm;
  if (node.op == OpKind::Conv || node.op == OpKind::Linear || bn) {
    for (const Suffix& s : bn ? std::span<const Suffix>(kBatchNormSuffixes) : std::span<const Suffix>(kLayerSuffixes)) {
      if (s.name != suffix) continue;
      ParamRole r{.layer = bn                        ? Layer::BatchNorm
                           : node.op == OpKind::Conv ? Layer::Conv
                                                     : Layer::Linear,
                  .role = s.role};
      if (!bn) set_fans(node, r);
      return r;
    }
  }
  throw Error(fmt::format("no initialisation rule for parameter '{}' of a {} node", param.name, op_name(node.op)));
}

}  // namespace cnnzoo::init
