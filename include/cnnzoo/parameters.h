// A model's parameters and buffers, by torchvision state_dict name ("layer1.0.conv1.weight").
#pragma once

#include <functional>
#include <map>
#include <string>

#include "cnnzoo/graph.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

using Parameters = std::map<std::string, Tensor, std::less<>>;

/// Every ParamSpec of the graph as a zero-filled tensor of its shape and dtype.
Parameters zero_parameters(const Graph& graph);

}  // namespace cnnzoo
