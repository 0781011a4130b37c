// Runs a graph with the plain reference kernels, node by node, in float32 or float64: the oracle the
// oneDNN engine is compared with, and a way to run a graph without oneDNN.
#pragma once

#include <vector>

#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

/// Inference: batch norm with running statistics, dropout as the identity. Returns the graph's outputs.
std::vector<Tensor> run_reference(const Graph& graph, const Parameters& parameters, const Tensor& input);

}  // namespace cnnzoo
