// The CPU engine: compiles a graph once into a plan of oneDNN primitives and runs it.
//
// Compilation picks each primitive's preferred memory layout (format_tag::any) and keeps activations in
// it from layer to layer, reordering only where a consumer wants another layout; weights are reordered
// once. For inference it folds batch norm into the convolution before it and fuses ReLU and the
// residual sum into the convolution as post-ops. All activations live in one arena laid out by a static
// memory plan, allocated and touched once, so a run allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

struct EngineOptions {
  int threads = 0;  ///< 0 = every core
};

/// Figures of a compiled plan, for reports and tests.
struct PlanStats {
  int64_t steps = 0;     ///< primitives and other steps run per inference
  int64_t reorders = 0;  ///< of which layout changes (weights excluded: those happen once)
  int64_t fused_batch_norms = 0;
  int64_t fused_relus = 0;
  int64_t fused_sums = 0;
  int64_t arena_bytes = 0;      ///< activations and scratch, after buffer reuse
  int64_t unplanned_bytes = 0;  ///< what the same buffers would take without reuse
  int64_t weight_bytes = 0;     ///< weights in the primitives' layouts
};

class InferenceEngine {
 public:
  /// Compiles `graph` with `parameters` (every ParamSpec by name; missing or mis-shaped tensors are an
  /// Error naming them). The graph's first input is the one run() takes.
  InferenceEngine(const Graph& graph, const Parameters& parameters, EngineOptions options = {});
  ~InferenceEngine();
  InferenceEngine(InferenceEngine&&) noexcept;
  InferenceEngine& operator=(InferenceEngine&&) noexcept;

  /// Runs on an input of the graph's input shape (float32, NCHW); returns the graph's outputs in plain
  /// row-major layout. A wrong shape is a ShapeError naming both shapes.
  std::vector<Tensor> run(const Tensor& input);

  const PlanStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cnnzoo
