#include <fmt/format.h>

#include <chrono>
#include <cstring>

#include "backend/onednn/omp_threads.h"
#include "backend/onednn/trainer.h"
#include "cnnzoo/builder.h"
#include "cnnzoo/distributed.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"

namespace cnnzoo {

namespace {

// bf16 on a CPU without a bfloat16 kernel for a layer runs oneDNN's reference code, hundreds of times slower
// than fp32: refused, with the layer at fault.
void refuse_reference_layers(const onednn::Plan& plan) {
  const std::vector<std::string> slow = onednn::reference_layers(plan);
  if (slow.empty()) return;
  throw OptionError(
      {"TrainingOptions::precision"},
      fmt::format(
          "TrainingOptions::precision: bf16 training needs bfloat16 kernels (AVX-512 BF16 or AMX), which this CPU "
          "lacks for {} of the layers (first: {}); train in fp32",
          slow.size(), slow.front()));
}

}  // namespace

struct TrainingEngine::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  onednn::Plan plan{engine};
  TrainingOptions options;
  onednn::TrainingState state;
  Parameters gradients;
  Dims input_shape;
  onednn::BufferId input = -1;
  std::vector<onednn::BufferId> outputs;
  std::vector<Dims> output_shapes;
  PlanStats stats;
  std::unique_ptr<onednn::GradientExchange> exchange;  ///< data parallel only
  StepCommunication communication;
};

TrainingEngine::TrainingEngine(const Graph& graph, Parameters& parameters, TrainingOptions options)
    : impl_(std::make_unique<Impl>()) {
  verify(graph);
  require_trainable(graph);
  require_fit(check_parameters(graph, parameters), graph.name() + ": parameters do not fit");
  if (options.precision == Precision::INT8) {
    throw OptionError({"TrainingOptions::precision"},
                      "TrainingOptions::precision: int8 is an inference precision; train in fp32 or bf16");
  }
  const onednn::ScopedOmpThreads engine_threads(options.threads);
  Impl& m = *impl_;
  m.options = options;
  // With a communicator, even of one rank (a test of the exchange in one process).
  if (options.communicator != nullptr) {
    if (!options.fused_update) {
      throw OptionError({"TrainingOptions::communicator", "TrainingOptions::fused_update"},
                        "TrainingOptions::communicator: data-parallel training updates inside the step; set "
                        "TrainingOptions::fused_update");
    }
    m.exchange = std::make_unique<onednn::GradientExchange>(*options.communicator, options.first_bucket_bytes,
                                                            options.bucket_bytes);
    m.state.exchange = m.exchange.get();
  }
  for (const Node& n : graph.nodes()) {
    for (const ParamSpec& p : n.params) {
      if (p.kind == ParamKind::Trainable && !options.fused_update) m.gradients.emplace(p.name, Tensor(p.shape));
    }
  }
  m.input_shape = graph.shape(graph.inputs().at(0));
  // The input is read where the caller keeps it (bound at each step): no copy, no second batch in memory.
  m.input = m.plan.add_external(onednn::plain_md(m.input_shape), nullptr, "input");
  onednn::Trainer trainer(graph, parameters, m.gradients, m.plan, m.options, m.state);
  try {
    m.outputs = trainer.compile(m.input);
  } catch (const dnnl::error& e) {
    // oneDNN has no bf16 primitive at all for some ops below AVX-512 (it says "could not create a primitive
    // descriptor"): the same refusal as for reference code.
    if (options.precision != Precision::BF16) throw;
    throw OptionError({"TrainingOptions::precision"},
                      fmt::format("TrainingOptions::precision: bf16 training needs bfloat16 kernels (AVX-512 BF16 "
                                  "or AMX), and oneDNN has none for {} on this CPU ({}); train in fp32",
                                  graph.name(), e.what()));
  }
  for (ValueId v : graph.outputs()) m.output_shapes.push_back(graph.shape(v));
  m.plan.finalize();
  m.stats = onednn::plan_stats(m.plan);
  if (options.precision == Precision::BF16) refuse_reference_layers(m.plan);
}

bool bf16_training_available() {
  static const bool available = [] {
    Builder b("bf16_probe", {2, 3, 8, 8});
    ValueId x = b.relu(b.batch_norm(b.conv(b.input(), "conv", {.out = 4, .kernel = 3, .pad = 1}), "bn"), "relu");
    b.output(b.linear(b.flatten(b.global_avg_pool(x, "pool"), "flatten"), "fc", {.out = 2}));
    const Graph graph = b.finish();
    Parameters parameters = test_parameters(graph, 0);
    try {
      TrainingEngine engine(graph, parameters, {.threads = 1, .precision = Precision::BF16});
      return true;
    } catch (const OptionError&) {
      return false;
    }
  }();
  return available;
}

TrainingEngine::~TrainingEngine() = default;
TrainingEngine::TrainingEngine(TrainingEngine&&) noexcept = default;
TrainingEngine& TrainingEngine::operator=(TrainingEngine&&) noexcept = default;

double TrainingEngine::step(const Tensor& input, std::span<const int64_t> labels) {
  if (impl_->options.fused_update) {
    throw Error("this training engine updates the parameters in its step: call step(input, labels, optimizer, lr)");
  }
  check_batch(input, labels);
  return run_step(input, labels);
}

double TrainingEngine::step(const Tensor& input, std::span<const int64_t> labels, Optimizer& optimizer, double lr) {
  if (!impl_->options.fused_update) {
    throw Error(
        "this training engine keeps gradients for a separate update: make it with fused_update to pass "
        "an optimizer to step()");
  }
  check_batch(input, labels);  // before the optimizer counts a step
  optimizer.begin_step(lr);
  impl_->state.optimizer = &optimizer;
  return run_step(input, labels);
}

void TrainingEngine::check_batch(const Tensor& input, std::span<const int64_t> labels) const {
  const Impl& m = *impl_;
  if (input.shape() != m.input_shape || input.dtype() != DType::F32) {
    throw ShapeError(fmt::format("input: expected float32 {}, got {} {}", to_string(m.input_shape),
                                 dtype_name(input.dtype()), to_string(input.shape())));
  }
  if (static_cast<int64_t>(labels.size()) != m.input_shape[0]) {
    throw ShapeError(fmt::format("labels: expected {} (one per sample), got {}", m.input_shape[0], labels.size()));
  }
}

double TrainingEngine::run_step(const Tensor& input, std::span<const int64_t> labels) {
  Impl& m = *impl_;
  const onednn::ScopedOmpThreads engine_threads(m.options.threads);
  m.state.labels.assign(labels.begin(), labels.end());
  m.plan.rebind(m.input, onednn::read_only_handle(input.bytes()));  // no step works in place on it
  m.state.forward_watch.emplace(m.options.threads);
  const auto start = std::chrono::steady_clock::now();
  if (m.exchange) m.exchange->begin_step();
  m.plan.execute(m.stream);
  if (m.exchange) m.communication = m.exchange->figures();
  m.communication.step_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++m.state.step;
  double loss = 0;
  for (std::size_t i = 0; i < m.state.losses.size(); ++i) {
    loss += (i == 0 ? 1.0 : m.options.aux_loss_weight) * m.state.losses[i];
  }
  return loss;
}

const Parameters& TrainingEngine::gradients() const { return impl_->gradients; }

std::vector<Tensor> TrainingEngine::outputs() const {
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < impl_->outputs.size(); ++i) {
    Tensor t(impl_->output_shapes[i]);
    std::memcpy(t.bytes(), impl_->plan.data(impl_->outputs[i]), static_cast<std::size_t>(t.nbytes()));
    out.push_back(std::move(t));
  }
  return out;
}

const PlanStats& TrainingEngine::stats() const { return impl_->stats; }

const StepCommunication& TrainingEngine::communication() const { return impl_->communication; }

int64_t TrainingEngine::steps() const { return impl_->state.step; }

void TrainingEngine::set_steps(int64_t steps) { impl_->state.step = steps; }

}  // namespace cnnzoo
