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
  std::vector<Dims> input_shapes;
  std::vector<std::string> input_names;
  std::vector<onednn::BufferId> inputs;
  std::vector<onednn::BufferId> outputs;
  std::vector<Dims> output_shapes;
  PlanStats stats;
};

InferenceEngine::InferenceEngine(const Graph& graph, const Parameters& parameters, EngineOptions options)
    : impl_(std::make_unique<Impl>()) {
  compile(graph, parameters, nullptr, options);
}

InferenceEngine::InferenceEngine(const Graph& graph, Parameters&& parameters, EngineOptions options)
    : impl_(std::make_unique<Impl>()) {
  compile(graph, parameters, &parameters, options);
}

void InferenceEngine::compile(const Graph& graph, const Parameters& parameters, Parameters* releasable,
                              EngineOptions options) {
  verify(graph);
  require_fit(check_parameters(graph, parameters), graph.name() + ": parameters do not fit");
  if (options.threads > 0) omp_set_num_threads(options.threads);
  Impl& m = *impl_;
  for (ValueId in : graph.inputs()) {
    m.input_shapes.push_back(graph.shape(in));
    m.input_names.push_back(graph.value(in).name);
    m.inputs.push_back(m.plan.add_buffer(onednn::plain_md(m.input_shapes.back()), m.input_names.back()));
    m.plan.touch(m.inputs.back());  // live from the start, even when only an alias of it is used
  }
  onednn::Compiler compiler(graph, parameters, m.plan, onednn::plan_inference_fusions(graph));
  if (releasable != nullptr) compiler.release_parameters_after_use(*releasable);
  if (options.precision == Precision::BF16) compiler.set_activation_type(onednn::dt::bf16);
  m.outputs = compiler.compile(m.inputs);
  for (ValueId v : graph.outputs()) m.output_shapes.push_back(graph.shape(v));
  m.plan.finalize();

  m.stats = onednn::plan_stats(m.plan);
  m.stats.fused_batch_norms = compiler.fused_batch_norms;
  m.stats.fused_relus = compiler.fused_relus;
  m.stats.fused_sums = compiler.fused_sums;
}

InferenceEngine::~InferenceEngine() = default;
InferenceEngine::InferenceEngine(InferenceEngine&&) noexcept = default;
InferenceEngine& InferenceEngine::operator=(InferenceEngine&&) noexcept = default;

std::vector<Tensor> InferenceEngine::run(const Tensor& input) { return run(std::span<const Tensor>(&input, 1)); }

std::vector<Tensor> InferenceEngine::run(std::span<const Tensor> inputs) {
  Impl& m = *impl_;
  if (inputs.size() != m.inputs.size()) {
    throw ShapeError(fmt::format("the graph takes {} input{} ({}), got {}", m.inputs.size(),
                                 m.inputs.size() == 1 ? "" : "s", fmt::join(m.input_names, ", "), inputs.size()));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (input.shape() != m.input_shapes[i] || input.dtype() != DType::F32) {
      throw ShapeError(fmt::format("{}: expected float32 {}, got {} {}", m.input_names[i], to_string(m.input_shapes[i]),
                                   dtype_name(input.dtype()), to_string(input.shape())));
    }
    std::memcpy(m.plan.data(m.inputs[i]), input.bytes(), static_cast<std::size_t>(input.nbytes()));
  }
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
