#include <fmt/format.h>
#include <omp.h>

#include <cstring>

#include "backend/onednn/compiler.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"

namespace cnnzoo {

struct InferenceEngine::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  onednn::Plan plan{engine};
  Dims input_shape;
  onednn::BufferId input = -1;
  std::vector<onednn::BufferId> outputs;
  std::vector<Dims> output_shapes;
  PlanStats stats;
};

InferenceEngine::InferenceEngine(const Graph& graph, const Parameters& parameters, EngineOptions options)
    : impl_(std::make_unique<Impl>()) {
  verify(graph);
  require_fit(check_parameters(graph, parameters), graph.name() + ": parameters do not fit");
  if (options.threads > 0) omp_set_num_threads(options.threads);
  Impl& m = *impl_;
  const ValueId in = graph.inputs().at(0);
  m.input_shape = graph.shape(in);
  m.input = m.plan.add_buffer(onednn::plain_md(m.input_shape), "input");
  onednn::Compiler compiler(graph, parameters, m.plan, onednn::plan_inference_fusions(graph));
  m.outputs = compiler.compile(m.input);
  for (ValueId v : graph.outputs()) m.output_shapes.push_back(graph.shape(v));
  m.plan.finalize();

  m.stats.steps = static_cast<int64_t>(m.plan.steps().size());
  for (const onednn::Step& s : m.plan.steps()) m.stats.reorders += s.is_reorder ? 1 : 0;
  m.stats.fused_batch_norms = compiler.fused_batch_norms;
  m.stats.fused_relus = compiler.fused_relus;
  m.stats.fused_sums = compiler.fused_sums;
  m.stats.arena_bytes = static_cast<int64_t>(m.plan.arena_bytes());
  m.stats.unplanned_bytes = static_cast<int64_t>(m.plan.unplanned_bytes());
  m.stats.weight_bytes = static_cast<int64_t>(m.plan.persistent_bytes());
}

InferenceEngine::~InferenceEngine() = default;
InferenceEngine::InferenceEngine(InferenceEngine&&) noexcept = default;
InferenceEngine& InferenceEngine::operator=(InferenceEngine&&) noexcept = default;

std::vector<Tensor> InferenceEngine::run(const Tensor& input) {
  Impl& m = *impl_;
  if (input.shape() != m.input_shape || input.dtype() != DType::F32) {
    throw ShapeError(fmt::format("input: expected float32 {}, got {} {}", to_string(m.input_shape),
                                 dtype_name(input.dtype()), to_string(input.shape())));
  }
  std::memcpy(m.plan.data(m.input), input.bytes(), static_cast<std::size_t>(input.nbytes()));
  m.plan.execute(m.stream);
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < m.outputs.size(); ++i) {
    Tensor t(m.output_shapes[i]);
    std::memcpy(t.bytes(), m.plan.data(m.outputs[i]), static_cast<std::size_t>(t.nbytes()));
    out.push_back(std::move(t));
  }
  return out;
}

const PlanStats& InferenceEngine::stats() const { return impl_->stats; }

}  // namespace cnnzoo
