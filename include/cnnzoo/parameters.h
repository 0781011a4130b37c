// A model's parameters and buffers, by torchvision state_dict name ("layer1.0.conv1.weight").
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cnnzoo/graph.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

using Parameters = std::map<std::string, Tensor, std::less<>>;

/// How a set of tensors differs from a graph's parameters (names, shapes, dtypes).
struct WeightCheck {
  std::vector<std::string> missing;     ///< graph parameters absent from the set, in graph order
  std::vector<std::string> unexpected;  ///< tensors the graph does not have, in the set's order
  std::vector<std::string> mismatched;  ///< "name: expected 64x3x7x7, got 64x3x3x3" (dtypes named if they differ)
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  /// One line listing the differences (at most a few names per kind); "" when ok().
  std::string message() const;
};

/// Throws Error "CONTEXT: DIFFERENCES" unless the check passed.
void require_fit(const WeightCheck& check, const std::string& context);

/// Named tensors in a given order (a file's).
using NamedTensors = std::vector<std::pair<std::string, const Tensor*>>;

/// Compares the tensors with every ParamSpec of `graph` (F32 for parameters, I64 for num_batches_tracked).
WeightCheck check_parameters(const Graph& graph, const NamedTensors& given);
WeightCheck check_parameters(const Graph& graph, const Parameters& parameters);

/// Every ParamSpec of the graph as a zero-filled tensor of its shape and dtype.
Parameters zero_parameters(const Graph& graph);

}  // namespace cnnzoo
