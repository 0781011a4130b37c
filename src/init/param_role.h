// What a parameter is for, decided from its node's op and its name's suffix: the one place that
// classifies parameters for initialisation (scripts/cnnzoo_rng.py mirrors it with module types).
#pragma once

#include <cstdint>

#include "cnnzoo/graph.h"

namespace cnnzoo::init {

enum class Layer : uint8_t { Conv, Linear, BatchNorm };
enum class Role : uint8_t { Weight, Bias, RunningMean, RunningVar, NumBatchesTracked };

struct ParamRole {
  Layer layer;
  Role role;
  int64_t fan_in = 0;   ///< of the node's weight: numel / shape[0] (conv, linear)
  int64_t fan_out = 0;  ///< of the node's weight: shape[0] * kh * kw (conv, linear)
};

/// The role of `param`, one of `node`'s parameters. Throws Error naming the parameter for an op or a
/// suffix that no initialisation rule covers.
ParamRole param_role(const Node& node, const ParamSpec& param);

}  // namespace cnnzoo::init
