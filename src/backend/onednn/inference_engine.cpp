#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <optional>

#include "backend/onednn/compiler.h"
#include "backend/onednn/finite_scan.h"
#include "backend/onednn/invalid_operation_watch.h"
#include "backend/onednn/omp_threads.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/quantization.h"

namespace cnnzoo {
namespace {

// Batches above this, in multiples of it, may run in slices of it (EngineOptions::slice).
constexpr int64_t kSlice = 4;

// One compiled plan for a batch of `slice` samples.
struct CompiledPlan {
  explicit CompiledPlan(const dnnl::engine& engine) : plan(engine) {}
  onednn::Plan plan;
  std::vector<onednn::BufferId> inputs, outputs;
  PlanStats stats;
};

std::unique_ptr<CompiledPlan> compile_plan(const dnnl::engine& engine, const Graph& graph, const Parameters& parameters,
                                           Parameters* releasable, const EngineOptions& options, int64_t slice) {
  auto compiled = std::make_unique<CompiledPlan>(engine);
  for (ValueId in : graph.inputs()) {
    compiled->inputs.push_back(compiled->plan.add_buffer(onednn::plain_md(graph.shape(in)), graph.value(in).name));
    compiled->plan.touch(compiled->inputs.back());  // live from the start, even when only an alias of it is used
  }
  onednn::Compiler compiler(graph, parameters, compiled->plan, onednn::plan_inference_fusions(graph, parameters));
  if (releasable != nullptr) compiler.release_parameters_after_use(*releasable);
  if (options.precision == Precision::BF16) compiler.set_activation_type(onednn::dt::bf16);
  if (options.precision == Precision::INT8) compiler.set_quantization(options.quantization.get());
  compiled->outputs = compiler.compile(compiled->inputs);
  compiled->plan.finalize();
  compiled->stats = onednn::plan_stats(compiled->plan);
  compiled->stats.fused_batch_norms = compiler.fused_batch_norms;
  compiled->stats.fused_relus = compiler.fused_relus;
  compiled->stats.fused_sums = compiler.fused_sums;
  compiled->stats.int8_layers = compiler.int8_layers;
  compiled->stats.slice = slice;
  return compiled;
}

// Whether slices of kSlice might run faster than the whole batch, so that both are worth timing.
// Convolutions of 1x1 read and write much per multiply-add and run near full speed only while a slice's
// activations stay in the caches; 3x3 convolutions and linear layers reuse their data and do better on the
// whole batch. Measured at batch 16, whole -> slices of 4: ResNet-50 81.8 -> 89.2% of peak, DenseNet-121
// 67.4 -> 74.1% (1x1 convolutions do 52% of their multiply-adds); GoogLeNet (25%), ResNeXt-50 (92%) about
// even; Wide ResNet-50 (34%) 1% slower; VGG-16 93.4 -> 89.2% and ResNet-18 94.8 -> 90.5% (none or 1%).
bool slices_may_pay(const Graph& g) {
  int64_t all = 0, pointwise = 0;
  for (NodeId id = 0; id < static_cast<NodeId>(g.nodes().size()); ++id) {
    const int64_t macs = node_cost(g, id).macs;  // convolutions and linear layers
    const Node& n = g.node(id);
    const bool one_by_one = n.op == OpKind::Conv && std::get<attr::Conv>(n.attrs).kernel == Hw{1};
    all += macs;
    pointwise += one_by_one ? macs : 0;
  }
  return pointwise * 5 >= all;  // a fifth or more
}

// The best of two runs of the whole batch through `compiled` (`runs` executions of the plan each), in seconds.
double time_batch(CompiledPlan& compiled, dnnl::stream& stream, int64_t runs) {
  double best = 1e300;
  for (int attempt = 0; attempt < 3; ++attempt) {  // the first warms up
    const auto start = std::chrono::steady_clock::now();
    for (int64_t r = 0; r < runs; ++r) compiled.plan.execute(stream);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (attempt > 0) best = std::min(best, s);
  }
  return best;
}

}  // namespace

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::F32:
      return "fp32";
    case Precision::BF16:
      return "bf16";
    case Precision::INT8:
      return "int8";
  }
  return "?";
}

// NaN and infinity. PyTorch propagates them: relu(NaN) = NaN, a max pooling window or a softmax row that
// holds NaN gives NaN, inf - inf = NaN. oneDNN 2.6 does not everywhere: eltwise ReLU (alone or as a
// convolution's post-op) computes max(x, 0) and turns NaN into 0, max pooling skips NaN, softmax may leave a
// row's other entries finite. So one NaN pixel could end in finite logits, and an all-NaN input in those of
// an all-zero one. oneDNN cannot be changed, and a check after each primitive would cost a pass over every
// activation; the input is small next to the activations. So a run whose inputs or parameters (scanned
// once, at compile time) hold a value that is not finite is computed by the reference interpreter, whose
// kernels follow PyTorch; and so is one whose outputs come out not finite from finite data (an overflow
// inside), since oneDNN may have dropped a NaN elsewhere on the way. Finite data pays one scan of the
// inputs and of the outputs, nothing per layer.
// The hole left: a finite input and finite parameters whose intermediate value overflows to infinity and
// becomes NaN (inf - inf, inf * 0) that a ReLU or max pooling of oneDNN then drops before any output: the
// outputs are finite where PyTorch's would be NaN. (An infinity itself passes ReLU and max pooling in both.)
struct InferenceEngine::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::unique_ptr<CompiledPlan> compiled;
  int64_t slices = 1;  ///< runs of the plan per batch
  std::vector<Dims> input_shapes;
  std::vector<std::string> input_names;
  std::vector<Dims> output_shapes;
  // For runs of the reference interpreter: the graph as given (the whole batch) and its plain parameters,
  // kept or reloaded (EngineOptions::reload_parameters).
  Graph graph;
  std::optional<Parameters> parameters;
  std::function<Parameters()> reload_parameters;
  bool parameters_finite = true;
  /// Whether a run's invalid operations are taken as a NaN met inside (not for int8: see compile()).
  bool watch_invalid_operations = true;
  int64_t reference_runs = 0;
  int threads = 0;  ///< EngineOptions::threads, set around each run

  std::vector<Tensor> run_reference_interpreter(std::span<const Tensor> inputs) {
    if (!parameters) parameters = reload_parameters();
    ++reference_runs;
    return run_reference(graph, *parameters, inputs);
  }
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
  if (options.precision == Precision::INT8) require_ranges(graph, options.quantization.get());
  const onednn::ScopedOmpThreads engine_threads(options.threads);
  Impl& m = *impl_;
  m.threads = options.threads;
  // oneDNN 2.6's int8 convolutions on AMX (brgconv, stride 2) raise the invalid-operation flag on finite data,
  // so an int8 plan cannot read it as a NaN met inside. int8 values cannot hold NaN or infinity anyway; the
  // scans of the inputs and outputs still send a batch that is not finite, or outputs that come out so, to
  // the reference interpreter.
  m.watch_invalid_operations = options.precision != Precision::INT8;
  Parameters* const given = releasable;  // the && constructor's parameters
  m.graph = graph;
  m.parameters_finite = onednn::all_finite(parameters);
  // Parameters that are not finite send every run to the reference interpreter: they are kept, not
  // reloaded each time.
  const bool keep_parameters = !options.reload_parameters || !m.parameters_finite;
  if (keep_parameters) {
    if (releasable == nullptr) m.parameters = parameters;  // a copy; the caller's stay theirs
    releasable = nullptr;                                  // the ones given are moved in below, once compiled
  } else {
    m.reload_parameters = std::move(options.reload_parameters);
  }
  for (ValueId in : graph.inputs()) {
    m.input_shapes.push_back(graph.shape(in));
    m.input_names.push_back(graph.value(in).name);
  }
  for (ValueId v : graph.outputs()) m.output_shapes.push_back(graph.shape(v));

  const int64_t batch = m.input_shapes.size() == 1 && !m.input_shapes[0].empty() ? m.input_shapes[0][0] : 1;
  int64_t slice = options.slice;
  if (slice != 0 && slice != batch) {
    if (slice < 0 || batch % slice != 0) {
      throw InvalidArgument(
          fmt::format("{}: a slice of {} samples does not divide the batch of {}", graph.name(), slice, batch));
    }
    if (!samples_independent(graph)) {
      throw InvalidArgument(
          fmt::format("{}: the samples of this graph depend on each other; it cannot run in slices", graph.name()));
    }
  }
  if (slice == 0 && batch > kSlice && batch % kSlice == 0 && samples_independent(graph) && slices_may_pay(graph)) {
    // Both ways, timed one after the other, so that only one plan's weights exist at a time; the parameters
    // are kept until the choice is made, and the sliced plan compiled again if it wins.
    const Graph sliced_graph = with_batch(graph, kSlice);
    double sliced_seconds = 0;
    {
      auto sliced = compile_plan(m.engine, sliced_graph, parameters, nullptr, options, kSlice);
      sliced_seconds = time_batch(*sliced, m.stream, batch / kSlice);
    }
    m.compiled = compile_plan(m.engine, graph, parameters, nullptr, options, batch);
    if (sliced_seconds < time_batch(*m.compiled, m.stream, 1)) {
      m.compiled.reset();
      m.compiled = compile_plan(m.engine, sliced_graph, parameters, releasable, options, kSlice);
    } else if (releasable != nullptr) {
      releasable->clear();  // the plan holds its own copies
    }
  } else if (slice != 0 && slice != batch) {
    m.compiled = compile_plan(m.engine, with_batch(graph, slice), parameters, releasable, options, slice);
  } else {
    m.compiled = compile_plan(m.engine, graph, parameters, releasable, options, batch);
  }
  m.slices = batch / m.compiled->stats.slice;
  if (keep_parameters && given != nullptr) {
    m.parameters = std::move(*given);  // unreleased
    given->clear();
  }
}

InferenceEngine::~InferenceEngine() = default;
InferenceEngine::InferenceEngine(InferenceEngine&&) noexcept = default;
InferenceEngine& InferenceEngine::operator=(InferenceEngine&&) noexcept = default;

std::vector<Tensor> InferenceEngine::run(const Tensor& input) { return run(std::span<const Tensor>(&input, 1)); }

std::vector<Tensor> InferenceEngine::run(std::span<const Tensor> inputs) {
  Impl& m = *impl_;
  const onednn::ScopedOmpThreads engine_threads(m.threads);
  CompiledPlan& compiled = *m.compiled;
  if (inputs.size() != compiled.inputs.size()) {
    throw ShapeError(fmt::format("the graph takes {} input{} ({}), got {}", compiled.inputs.size(),
                                 compiled.inputs.size() == 1 ? "" : "s", fmt::join(m.input_names, ", "),
                                 inputs.size()));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (input.shape() != m.input_shapes[i] || input.dtype() != DType::F32) {
      throw ShapeError(fmt::format("{}: expected float32 {}, got {} {}", m.input_names[i], to_string(m.input_shapes[i]),
                                   dtype_name(input.dtype()), to_string(input.shape())));
    }
  }
  if (!m.parameters_finite || !onednn::all_finite(inputs)) return m.run_reference_interpreter(inputs);
  std::vector<Tensor> out;
  for (const Dims& shape : m.output_shapes) out.emplace_back(shape);
  const onednn::InvalidOperationWatch watch(m.threads);
  // Slice s of a tensor is its s-th 1/slices of bytes: the batch is the outermost dimension.
  for (int64_t s = 0; s < m.slices; ++s) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto bytes = static_cast<std::size_t>(inputs[i].nbytes() / m.slices);
      std::memcpy(compiled.plan.data(compiled.inputs[i]), inputs[i].bytes() + s * static_cast<int64_t>(bytes), bytes);
    }
    compiled.plan.execute(m.stream);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto bytes = static_cast<std::size_t>(out[i].nbytes() / m.slices);
      std::memcpy(out[i].bytes() + s * static_cast<int64_t>(bytes), compiled.plan.data(compiled.outputs[i]), bytes);
    }
  }
  // A NaN made or met inside (a ReLU or max pooling of oneDNN may have dropped it), or outputs not finite
  // from finite data: PyTorch would carry the NaN to outputs where oneDNN may not.
  if ((m.watch_invalid_operations && watch.happened()) || !onednn::all_finite(out))
    return m.run_reference_interpreter(inputs);
  return out;
}

const PlanStats& InferenceEngine::stats() const { return impl_->compiled->stats; }

int64_t InferenceEngine::reference_runs() const { return impl_->reference_runs; }

}  // namespace cnnzoo
