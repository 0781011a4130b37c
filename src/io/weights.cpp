// Weights from a safetensors file against a graph.
#include <fmt/format.h>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/error.h"
#include "cnnzoo/io.h"

namespace cnnzoo {

WeightCheck check_weights(const Graph& graph, const TensorFile& file) {
  NamedTensors given;
  for (const auto& [name, t] : file.tensors) given.emplace_back(name, &t);
  return check_parameters(graph, given);
}

Parameters load_weights(const Graph& graph, const std::string& path) {
  TensorFile file = read_safetensors(path);
  // A training checkpoint is a weights file with the optimizer's state beside the weights.
  const auto format = file.metadata.find(kCheckpointFormatKey);
  if (format != file.metadata.end() && format->second == kCheckpointFormat) {
    std::erase_if(file.tensors, [](const auto& named) { return named.first.starts_with(kOptimizerPrefix); });
  }
  require_fit(check_weights(graph, file), fmt::format("{}: weights do not fit {}", path, graph.name()));
  Parameters parameters;
  for (auto& [name, t] : file.tensors) parameters.emplace(name, std::move(t));
  return parameters;
}

}  // namespace cnnzoo
