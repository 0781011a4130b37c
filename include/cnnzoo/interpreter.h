// Runs a graph with the plain reference kernels, node by node, in float32 or float64: the oracle the
// oneDNN engine is compared with, and a way to run a graph without oneDNN.
#pragma once

#include <span>
#include <vector>

#include "cnnzoo/engine.h"
#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

/// Inference: batch norm with running statistics, dropout as the identity. Returns the graph's outputs.
std::vector<Tensor> run_reference(const Graph& graph, const Parameters& parameters, const Tensor& input);
/// The same for a graph of several inputs, in the graph's input order.
std::vector<Tensor> run_reference(const Graph& graph, const Parameters& parameters, std::span<const Tensor> inputs);

/// What one reference training step computes.
struct ReferenceStep {
  double loss = 0;       ///< as TrainingEngine::step returns it
  Parameters gradients;  ///< every trainable parameter, rounded to float32
  Parameters buffers;    ///< batch norm's running statistics after the step
  std::vector<Tensor> outputs;
};

/// One training step in float64 with the reference kernels, with TrainingEngine's semantics: batch
/// statistics, dropout masks from (options.seed, node, `step`), softmax cross-entropy on every output
/// (the first weighted 1, others options.aux_loss_weight), label smoothing. The oracle of the engine.
ReferenceStep reference_training_step(const Graph& graph, const Parameters& parameters, const Tensor& input,
                                      std::span<const int64_t> labels, const TrainingOptions& options,
                                      int64_t step = 0);

}  // namespace cnnzoo
