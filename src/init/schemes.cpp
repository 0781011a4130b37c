// The initialisation schemes of torchvision 0.14's model constructors, one table row each. Sources:
// torch/nn/modules/conv.py and linear.py (reset_parameters), torchvision/models/vgg.py, resnet.py,
// densenet.py and googlenet.py (the `for m in self.modules()` loops); alexnet.py has no loop. And one of Caffe:
// bvlc_googlenet, the public replication of the paper's GoogLeNet (no BN), whose readme says it "uses xavier
// to initialize the weights instead of gaussian"; its convolutions start with biases of 0.2.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "init/param_role.h"

namespace cnnzoo {
namespace {

using init::Layer;
using init::ParamRole;
using init::Role;

enum class WeightRule : uint8_t {
  TorchDefault,         ///< kaiming_uniform_(a=sqrt(5)): U(+-1/sqrt(fan_in))
  KaimingNormalFanOut,  ///< kaiming_normal_(mode="fan_out", nonlinearity="relu"): N(0, sqrt(2/fan_out))
  KaimingNormalFanIn,   ///< kaiming_normal_() defaults (fan_in, leaky_relu a=0): N(0, sqrt(2/fan_in))
  Normal001,            ///< normal_(0, 0.01)
  TruncNormal001,       ///< trunc_normal_(mean=0, std=0.01, a=-2, b=2)
  TruncNormal01,        ///< trunc_normal_(mean=0, std=0.1, a=-2, b=2): inception.py's default stddev
  CaffeXavier,          ///< Caffe's XavierFiller (variance_norm FAN_IN): U(+-sqrt(3/fan_in))
};

enum class BiasRule : uint8_t {
  TorchDefault,  ///< U(+-1/sqrt(fan_in)), left as the layer's constructor made it
  Zero,
  Constant02,  ///< 0.2: bvlc_googlenet's convolutions, so that ReLUs start active without BN
};

struct Scheme {
  std::string_view name;
  WeightRule conv_weight;
  BiasRule conv_bias;
  WeightRule linear_weight;
  BiasRule linear_bias;
};

constexpr std::array<Scheme, 7> kSchemes{{
    {"torch_default", WeightRule::TorchDefault, BiasRule::TorchDefault, WeightRule::TorchDefault,
     BiasRule::TorchDefault},
    {"vgg", WeightRule::KaimingNormalFanOut, BiasRule::Zero, WeightRule::Normal001, BiasRule::Zero},
    {"resnet", WeightRule::KaimingNormalFanOut, BiasRule::TorchDefault, WeightRule::TorchDefault,
     BiasRule::TorchDefault},
    {"densenet", WeightRule::KaimingNormalFanIn, BiasRule::TorchDefault, WeightRule::TorchDefault, BiasRule::Zero},
    {"googlenet", WeightRule::TruncNormal001, BiasRule::TorchDefault, WeightRule::TruncNormal001,
     BiasRule::TorchDefault},
    {"caffe_googlenet", WeightRule::CaffeXavier, BiasRule::Constant02, WeightRule::CaffeXavier, BiasRule::Zero},
    // torchvision's Inception3 draws every conv and linear weight from trunc_normal_(std=m.stddev or 0.1); only
    // the auxiliary head's conv1 (0.01) and fc (0.001) set a stddev, which this table, per layer kind, leaves at 0.1.
    {"inception_v3", WeightRule::TruncNormal01, BiasRule::TorchDefault, WeightRule::TruncNormal01,
     BiasRule::TorchDefault},
}};

constexpr std::array<std::string_view, kSchemes.size()> kSchemeNames = [] {
  std::array<std::string_view, kSchemes.size()> names{};
  for (std::size_t i = 0; i < kSchemes.size(); ++i) names[i] = kSchemes[i].name;
  return names;
}();

const Scheme& find_scheme(std::string_view name) {
  for (const Scheme& s : kSchemes) {
    if (s.name == name) return s;
  }
  throw UnknownNameError(
      fmt::format("unknown initialisation scheme '{}'; known schemes: {}", name, fmt::join(kSchemeNames, ", ")));
}

double inverse_sqrt(int64_t fan) { return fan > 0 ? 1.0 / std::sqrt(static_cast<double>(fan)) : 0.0; }

void fill_weight(std::span<float> out, uint64_t key, WeightRule rule, const ParamRole& r) {
  switch (rule) {
    case WeightRule::TorchDefault:
      return fill_uniform(out, key, -inverse_sqrt(r.fan_in), inverse_sqrt(r.fan_in));
    case WeightRule::KaimingNormalFanOut:
      return fill_normal(out, key, 0.0, std::sqrt(2.0) * inverse_sqrt(r.fan_out));
    case WeightRule::KaimingNormalFanIn:
      return fill_normal(out, key, 0.0, std::sqrt(2.0) * inverse_sqrt(r.fan_in));
    case WeightRule::Normal001:
      return fill_normal(out, key, 0.0, 0.01);
    case WeightRule::TruncNormal001:
      return fill_truncated_normal(out, key, 0.0, 0.01, -2.0, 2.0);
    case WeightRule::TruncNormal01:
      return fill_truncated_normal(out, key, 0.0, 0.1, -2.0, 2.0);
    case WeightRule::CaffeXavier:
      return fill_uniform(out, key, -std::sqrt(3.0) * inverse_sqrt(r.fan_in), std::sqrt(3.0) * inverse_sqrt(r.fan_in));
  }
}

void fill_bias(std::span<float> out, uint64_t key, BiasRule rule, const ParamRole& r) {
  if (rule == BiasRule::TorchDefault) fill_uniform(out, key, -inverse_sqrt(r.fan_in), inverse_sqrt(r.fan_in));
  if (rule == BiasRule::Constant02) std::ranges::fill(out, 0.2f);
  // BiasRule::Zero: the tensor is already zero-filled.
}

void fill(Tensor& t, uint64_t key, const Scheme& s, const ParamRole& r) {
  if (r.layer == Layer::BatchNorm) {
    // weight 1, running_var 1; bias, running_mean and num_batches_tracked stay 0.
    if (r.role == Role::Weight || r.role == Role::RunningVar) std::ranges::fill(t.f32(), 1.0f);
    return;
  }
  const bool conv = r.layer == Layer::Conv;
  if (r.role == Role::Weight) {
    fill_weight(t.f32(), key, conv ? s.conv_weight : s.linear_weight, r);
  } else {
    fill_bias(t.f32(), key, conv ? s.conv_bias : s.linear_bias, r);
  }
}

}  // namespace

std::span<const std::string_view> init_schemes() { return kSchemeNames; }

Parameters init_parameters(const Graph& graph, std::string_view scheme, uint64_t seed) {
  const Scheme& s = find_scheme(scheme);
  Parameters out;
  for (const Node& n : graph.nodes()) {
    for (const ParamSpec& p : n.params) {
      const ParamRole r = init::param_role(n, p);
      Tensor t(p.shape, p.dtype);
      fill(t, stream_key(p.name, seed), s, r);
      out.emplace(p.name, std::move(t));
    }
  }
  return out;
}

}  // namespace cnnzoo
