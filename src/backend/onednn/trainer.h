// The training compiler: lowers the graph's forward pass with training primitives (batch statistics,
// workspaces, dropout masks), the loss, and the backward pass in reverse node order, into one plan.
//
// Gradients are written once and never in place: when a value feeds several nodes, each further
// contribution is added into a new buffer, so a gradient buffer handed to two inputs stays valid.
#pragma once

#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backend/onednn/compiler.h"
#include "backend/onednn/gradient_exchange.h"
#include "backend/onednn/invalid_operation_watch.h"
#include "backend/onednn/saved.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/optim.h"

namespace cnnzoo::onednn {

/// What custom steps share with the engine across runs.
struct TrainingState {
  std::vector<int64_t> labels;
  std::vector<double> losses;  ///< per graph output, of the last step
  int64_t step = 0;
  /// With TrainingOptions::fused_update: the optimizer of this step, begun (Optimizer::begin_step).
  Optimizer* optimizer = nullptr;
  /// Begun with each step: a NaN made or met in the forward pass (which oneDNN's ReLU and max pooling
  /// may drop before the loss) makes the step's loss NaN, as PyTorch's would be.
  std::optional<InvalidOperationWatch> forward_watch;
  /// Data parallel (TrainingOptions::communicator): the job's exchange of gradients, losses and, with
  /// sync_batch_norm, batch statistics. Null in one process.
  GradientExchange* exchange = nullptr;
};

class Trainer : public Lowering {
 public:
  Trainer(const Graph& graph, Parameters& parameters, Parameters& gradients, Plan& plan, const TrainingOptions& options,
          TrainingState& state);

  /// Forward, loss, backward. Returns the buffers of the graph's outputs, plain.
  std::vector<BufferId> compile(BufferId input);

  const TrainingOptions& options() const { return options_; }
  /// Whether batch norm uses the job's statistics (sync_batch_norm across more than one rank).
  bool synced_batch_norm() const { return state_.exchange != nullptr && options_.sync_batch_norm; }
  TrainingState& training_state() { return state_; }
  Saved& saved(const Node& n) { return saved_.at(static_cast<std::size_t>(id_of(n))); }

  /// The parameter `node.suffix`, checked as param() does, writable: the trainer's steps update the
  /// parameters it was given (running statistics, a fused update).
  Tensor& writable_param(const Node& n, std::string_view suffix);
  /// A buffer over the parameter tensor itself (read at each step; running statistics written in place).
  BufferId parameter(const Node& n, std::string_view suffix, const memory::desc& md);
  /// The parameter in layout `wanted`: reordered from the tensor at each step when the layouts differ.
  BufferId parameter_as(const Node& n, std::string_view suffix, const memory::desc& plain, const memory::desc& wanted);
  /// Where the gradient of parameter `node.suffix` goes: a buffer over its gradient tensor, or with a fused
  /// update a plan buffer that the optimizer reads once the node's backward pass is lowered.
  BufferId gradient_of(const Node& n, std::string_view suffix, const memory::desc& md);
  /// Writes a gradient computed in layout `from` to the plain gradient tensor of `node.suffix`.
  void store_gradient(const Node& n, std::string_view suffix, BufferId from, const memory::desc& plain);

  /// A custom step over plan buffers.
  void custom(const std::string& label, const std::vector<BufferId>& buffers, std::function<void()> body);

  /// Input `i` of `n` as the forward pass read it, in layout `wanted`, for `n`'s backward pass: the saved
  /// buffer, or for an output that is not kept (TrainingOutput::Recomputed) a recomputed one.
  BufferId input_for_backward(const Node& n, std::size_t i, const memory::desc& wanted);

  /// The value whose gradient `n`'s backward consumes: its output, or for a batch norm that applies its
  /// ReLU the ReLU's output.
  ValueId gradient_source(const Node& n) const;

  /// The gradient of `v` so far, if any.
  std::optional<ValueState> gradient(ValueId v) const;
  /// Whether backward must produce d/d(v): false for the graph's input.
  bool wants_gradient(ValueId v) const { return graph().value(v).producer != kNoNode; }
  /// Adds a contribution to d/d(v) (buffer in any layout).
  void add_gradient(ValueId v, BufferId contribution, const std::string& label);

 private:
  void forward(const Node& n);
  void backward(const Node& n);
  void backward_node(const Node& n);
  /// Fused update: a step per parameter whose gradient the node's backward wrote (after every read of
  /// the weights), and at the end one with a zero gradient for parameters that got none.
  void update_parameters();
  void update_parameters_without_gradient();
  /// A step that updates parameter `name` from the gradient gradient() gives at run time (after the steps
  /// that write `reads`).
  void update_step(const std::string& name, const std::vector<BufferId>& reads,
                   std::function<std::span<const float>()> gradient);
  void update_step(const std::string& name, BufferId gradient);
  /// Data parallel: the gradient goes into its bucket, which starts its sum once full; the update waits
  /// for the sum at the end of backward (exchanged_updates()).
  void exchange_gradient(const std::string& name, BufferId gradient);
  void start_open_bucket();
  void exchanged_updates();
  BufferId recomputed(ValueId v);
  Parameters& parameters_;
  Parameters& gradients_;
  const TrainingOptions& options_;
  TrainingState& state_;
  std::vector<Saved> saved_;
  std::vector<std::optional<ValueState>> gradients_of_values_;
  std::unordered_map<ValueId, BufferId> recomputed_;               ///< by value, once per backward pass
  std::vector<std::pair<std::string, BufferId>> pending_updates_;  ///< gradients of the node being lowered
  std::unordered_set<std::string> updated_;
  std::vector<std::pair<std::string, GradientExchange::Slot>> exchanged_;  ///< in backward order
};

// Forward and backward lowering per op family (train_*.cpp).
void forward_conv(Trainer& t, const Node& n);
void backward_conv(Trainer& t, const Node& n);
void forward_linear(Trainer& t, const Node& n);
void backward_linear(Trainer& t, const Node& n);
void forward_batch_norm(Trainer& t, const Node& n);
void backward_batch_norm(Trainer& t, const Node& n);
void forward_lrn(Trainer& t, const Node& n);
void backward_lrn(Trainer& t, const Node& n);
void forward_pool(Trainer& t, const Node& n);
void backward_pool(Trainer& t, const Node& n);
void forward_eltwise(Trainer& t, const Node& n);  // relu, sigmoid
void backward_eltwise(Trainer& t, const Node& n);
void forward_softmax(Trainer& t, const Node& n);
void backward_softmax(Trainer& t, const Node& n);
void forward_dropout(Trainer& t, const Node& n);
void backward_dropout(Trainer& t, const Node& n);
void forward_flatten(Trainer& t, const Node& n);
void backward_flatten(Trainer& t, const Node& n);
void forward_add(Trainer& t, const Node& n);
void backward_add(Trainer& t, const Node& n);
void forward_concat(Trainer& t, const Node& n);
void backward_concat(Trainer& t, const Node& n);
void forward_channel_mul(Trainer& t, const Node& n);
void backward_channel_mul(Trainer& t, const Node& n);
void forward_channel_pad(Trainer& t, const Node& n);
void backward_channel_pad(Trainer& t, const Node& n);
void forward_channel_affine(Trainer& t, const Node& n);
void backward_channel_affine(Trainer& t, const Node& n);

/// The output of batch norm `n` and its fused ReLU again, from the input and statistics its forward saved.
BufferId recompute_batch_norm_relu(Trainer& t, const Node& n);
/// The output of convolution `n` again, from its input and (not yet updated) weights.
BufferId recompute_conv(Trainer& t, const Node& n);

/// Softmax cross-entropy of each graph output against the labels; seeds the outputs' gradients.
void lower_loss(Trainer& t, const std::vector<BufferId>& outputs);

}  // namespace cnnzoo::onednn
