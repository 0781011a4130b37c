// The CPU engine: compiles a graph once into a plan of oneDNN primitives and runs it.
//
// Compilation picks each primitive's preferred memory layout (format_tag::any) and keeps activations in
// it from layer to layer, reordering only where a consumer wants another layout; weights are reordered
// once. For inference it folds batch norm into the convolution before it and fuses ReLU and the
// residual sum into the convolution as post-ops. All activations live in one arena laid out by a static
// memory plan, allocated and touched once, so a run allocates nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

/// Arithmetic of the heavy operations. bf16 keeps activations and weights in bfloat16 (8 bits of
/// mantissa) with float32 accumulation, which the AVX512-BF16 instructions run at twice the rate of fp32;
/// inputs, outputs, biases and normalisation statistics stay float32. int8 (inference only) runs
/// convolutions and linear layers on 8-bit integers with int32 accumulation (VNNI, AMX-INT8): weights
/// with a symmetric scale per output channel, activations with one scale per tensor from calibrated
/// ranges (EngineOptions::quantization); pooling and concatenation stay in int8, other ops run in float32.
enum class Precision : uint8_t { F32, BF16, INT8 };

/// "fp32", "bf16" or "int8".
const char* precision_name(Precision precision);

struct Quantization;

class Optimizer;

struct EngineOptions {
  int threads = 0;  ///< 0 = every core
  Precision precision = Precision::F32;
  /// Samples per run of the plan: the plan is compiled for this many and runs the batch slice by slice,
  /// which keeps a slice's activations in the caches (ResNet-50 at batch 16 runs 10% faster in slices of
  /// 4; VGG-16, whose 3x3 convolutions reuse their data more, runs slower). 0 chooses when the engine is
  /// made: for a batch above 4 that is a multiple of 4, in a graph whose samples are independent
  /// (samples_independent()) and whose 1x1 convolutions do a fifth or more of the multiply-adds, slices of
  /// 4 or the whole batch, whichever runs faster when timed twice each; otherwise the whole batch. Other
  /// values must divide the batch.
  int64_t slice = 0;
  /// The plain parameters again, for a run that the reference interpreter computes (a value that is not
  /// finite: InferenceEngine::run). Given, neither constructor keeps a copy of the plain parameters, and
  /// this is called once, at the first such run (its result is kept from then on). Empty, the engine keeps
  /// them: a copy (const& constructor) or the ones it was given, unreleased (&& constructor), so one more
  /// copy of the weights stays in memory. Parameters that are not finite themselves are always kept.
  std::function<Parameters()> reload_parameters = {};
  /// Precision::INT8: the range of every value of the graph (calibrate(), or a file `cnnzoo quantize`
  /// wrote). Required then: a value without a range is an InvalidArgument naming it.
  std::shared_ptr<const Quantization> quantization = {};
};

/// Figures of a compiled plan, for reports and tests.
struct PlanStats {
  int64_t steps = 0;        ///< primitives and other steps run per inference
  int64_t reorders = 0;     ///< of which layout changes (weights excluded: those happen once)
  int64_t plain_steps = 0;  ///< of which cnnzoo's reference kernels on plain buffers (what oneDNN does not express)
  int64_t fused_batch_norms = 0;
  int64_t fused_relus = 0;
  int64_t fused_sums = 0;
  int64_t int8_layers = 0;      ///< convolutions and linear layers that run on int8
  int64_t arena_bytes = 0;      ///< activations and scratch, after buffer reuse
  int64_t unplanned_bytes = 0;  ///< what the same buffers would take without reuse
  int64_t weight_bytes = 0;     ///< weights in the primitives' layouts
  int64_t slice = 0;            ///< samples per run of the plan (EngineOptions::slice)
};

class InferenceEngine {
 public:
  /// Compiles `graph` with `parameters` (every ParamSpec by name; missing or mis-shaped tensors are an
  /// Error naming them).
  InferenceEngine(const Graph& graph, const Parameters& parameters, EngineOptions options = {});
  /// The same, releasing each parameter as soon as its weights are in the engine's own layout: peak
  /// memory holds one copy of the weights, not two.
  InferenceEngine(const Graph& graph, Parameters&& parameters, EngineOptions options = {});
  ~InferenceEngine();
  InferenceEngine(InferenceEngine&&) noexcept;
  InferenceEngine& operator=(InferenceEngine&&) noexcept;

  /// Runs on an input of the graph's input shape (float32, NCHW); returns the graph's outputs in plain
  /// row-major layout. A wrong shape is a ShapeError naming both shapes.
  ///
  /// NaN and infinity propagate as in PyTorch (relu(NaN) = NaN, a max pooling window or softmax row
  /// holding NaN gives NaN), which oneDNN's primitives do not all do: when an input or a parameter holds
  /// a value that is not finite, or an output comes out so, the run is computed (again) by the reference
  /// interpreter (run_reference(), float32) instead. Finite data pays one scan of the inputs and outputs.
  /// Not caught: a finite input whose intermediate value overflows to infinity and turns to NaN inside,
  /// where a ReLU or max pooling of oneDNN then drops it before any output (PyTorch would give NaN).
  std::vector<Tensor> run(const Tensor& input);
  /// The same for a graph of several inputs, in the graph's input order.
  std::vector<Tensor> run(std::span<const Tensor> inputs);

  const PlanStats& stats() const;
  /// Runs so far that the reference interpreter computed because a value was not finite (see run()).
  int64_t reference_runs() const;

 private:
  void compile(const Graph& graph, const Parameters& parameters, Parameters* releasable, EngineOptions options);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Communicator;

/// Where a data-parallel step's time went (TrainingEngine::communication; docs/distributed.md).
struct StepCommunication {
  double step_seconds = 0;  ///< the whole step on this rank
  /// Each gradient bucket's sum from its start to the poll or wait that saw it done (polls come after each
  /// layer's backward: an upper bound), plus sync batch norm's blocking exchanges. The losses' sum (a few
  /// bytes) is not counted.
  double communication_seconds = 0;
  double exposed_seconds = 0;  ///< waiting on the network: the communication that compute did not hide
  int64_t bytes = 0;           ///< of gradients summed per step, per rank
  int64_t buckets = 0;
  double compute_seconds() const { return step_seconds - exposed_seconds; }
  double hidden_seconds() const {
    return communication_seconds > exposed_seconds ? communication_seconds - exposed_seconds : 0;
  }
};

struct TrainingOptions {
  int threads = 0;               ///< 0 = every core
  uint64_t seed = 0;             ///< dropout masks: the same seed and step give the same mask
  double label_smoothing = 0.0;  ///< PyTorch's CrossEntropyLoss(label_smoothing)
  double aux_loss_weight = 0.3;  ///< weight of each extra output's loss (GoogLeNet's auxiliary heads)
  bool dropout = true;           ///< false: dropout is the identity (for comparisons with other frameworks)
  /// Each parameter is updated by the optimizer passed to step() as soon as its gradient is known, inside
  /// the backward pass: no gradient tensors are kept (gradients() is empty), which saves their memory and
  /// a pass over them. The result equals step() followed by Optimizer::step().
  bool fused_update = false;
  /// F32, or BF16 mixed precision: convolutions and linear layers compute on bfloat16 activations, weights
  /// and gradients of activations (float32 accumulation), and batch norm, pooling, ReLU and sums keep their
  /// data in bfloat16; the parameters, their gradients, batch-norm statistics, the loss and the optimizer's
  /// state stay float32 (the master weights are converted at each step). Where the CPU has no bfloat16 unit
  /// oneDNN would run reference code, and the engine refuses it. INT8 is an inference precision (refused).
  Precision precision = Precision::F32;
  /// Data parallel (docs/distributed.md): each rank runs this engine on its share of the batch, and the
  /// gradients and losses are the job's means (summed over the ranks in buckets during backward). Needs
  /// fused_update. Null: this process alone (a job of one rank runs the exchange all the same).
  Communicator* communicator = nullptr;
  /// Gradient bucket sizes in bytes, as PyTorch DDP's: the first (in backward order) small, to start early.
  int64_t first_bucket_bytes = int64_t{1} << 20;
  int64_t bucket_bytes = int64_t{25} << 20;
  /// Batch norm normalises with the job's batch statistics (PyTorch's SyncBatchNorm) rather than each rank's.
  bool sync_batch_norm = false;
};

/// Whether this CPU trains in bf16 (TrainingOptions::precision): oneDNN has bfloat16 kernels for it (AVX-512
/// BF16, AMX, or AVX-512 with conversions in software). Tried once on a small network, then remembered.
bool bf16_training_available();

/// One training step at a time: forward with batch statistics and dropout, softmax cross-entropy on the
/// graph's outputs (the first with weight 1, any others with aux_loss_weight), and backward through
/// every op. The engine reads the weights from `parameters` at each step, so an optimizer may update
/// them in place between steps; batch norm's running statistics there are updated as PyTorch does
/// (momentum, unbiased variance, num_batches_tracked).
class TrainingEngine {
 public:
  TrainingEngine(const Graph& graph, Parameters& parameters, TrainingOptions options = {});
  ~TrainingEngine();
  TrainingEngine(TrainingEngine&&) noexcept;
  TrainingEngine& operator=(TrainingEngine&&) noexcept;

  /// Forward and backward on a batch; returns the loss. `labels` holds one class per sample. The loss is NaN,
  /// as PyTorch's would be, when a NaN enters the forward pass or is made there (inf - inf), even where a
  /// ReLU or max pooling of oneDNN would drop it before the loss.
  double step(const Tensor& input, std::span<const int64_t> labels);
  /// Forward, backward and `optimizer`'s update with learning rate `lr`, for an engine made with
  /// fused_update (an Error otherwise). A step whose loss is not finite leaves the weights unchanged.
  double step(const Tensor& input, std::span<const int64_t> labels, Optimizer& optimizer, double lr);

  /// d(loss)/d(parameter) of the last step, plain, for every trainable parameter by name (none with
  /// fused_update).
  const Parameters& gradients() const;
  /// The graph's outputs of the last step (logits), plain.
  std::vector<Tensor> outputs() const;
  /// Steps taken (dropout masks depend on it).
  int64_t steps() const;
  /// Continues the step count of an earlier run (resuming from a checkpoint).
  void set_steps(int64_t steps);
  /// Figures of the compiled step (forward, loss, backward); the fused_* counts are the inference
  /// engine's and stay 0.
  const PlanStats& stats() const;
  /// Data parallel: where the last step's time went (all zero in one process but step_seconds).
  const StepCommunication& communication() const;

 private:
  void check_batch(const Tensor& input, std::span<const int64_t> labels) const;
  double run_step(const Tensor& input, std::span<const int64_t> labels);  ///< after check_batch()
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cnnzoo
