// Optimizers and learning-rate schedules for training: what turns a step's gradients into new weights.
//
// The optimizers follow torch.optim of PyTorch 1.13 (SGD, Adam, AdamW) to the letter: each element is
// updated in float32 with the operations of PyTorch's single-tensor (foreach=False) implementation, in
// its order, with the hyper-parameters rounded to float32 where PyTorch rounds them, so a run agrees
// with PyTorch to about one ulp per step. Their state (momentum buffers, moments, step count) is a set
// of named tensors, "optim."-prefixed, so a checkpoint can store it next to the weights.
//
// The schedules give the learning rate of each iteration from the options alone (no state), so a run
// resumed at iteration i uses exactly the rate an uninterrupted one would.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"

namespace cnnzoo {

struct OptimizerOptions {
  std::string kind = "sgd";  ///< "sgd", "adam" or "adamw"
  double momentum = 0.9;     ///< SGD; 0 keeps no momentum buffer
  bool nesterov = false;     ///< SGD; needs momentum > 0
  /// L2 penalty added to the gradient (SGD, Adam) or decoupled decay p *= 1 - lr * wd (AdamW).
  double weight_decay = 5e-4;
  /// false exempts every 1-D trainable parameter from weight decay: batch-norm weights and biases and
  /// every bias (as torchvision's reference scripts do with --norm-weight-decay 0 --bias-weight-decay 0).
  bool decay_bn_and_bias = true;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  ///< Adam, AdamW
};

/// Updates a graph's trainable parameters in place from their gradients.
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  /// One update of every trainable parameter of the graph with learning rate `lr`. `grads` must hold
  /// exactly the trainable parameters (as TrainingEngine::gradients() does) and `params` each of them
  /// with the same shape; anything else is an Error naming the tensor. Buffers are left alone.
  virtual void step(Parameters& params, const Parameters& grads, double lr) = 0;

  /// The same update one parameter at a time, for a training engine that applies it as soon as the
  /// parameter's gradient is known: begin_step(lr) once, then update(name, param, grad) for every trainable
  /// parameter (each exactly once; the result equals step()'s). An unknown name or a size other than the
  /// parameter's is an Error naming it.
  virtual void begin_step(double lr) = 0;
  virtual void update(std::string_view name, std::span<float> param, std::span<const float> grad) = 0;

  /// The state as named tensors: "optim.step" (I64 scalar, updates taken) and per parameter p
  /// "optim.momentum.<p>" (SGD with momentum, after the first step) or "optim.exp_avg.<p>" and
  /// "optim.exp_avg_sq.<p>" (Adam, AdamW, after the first step).
  virtual Parameters state() const = 0;

  /// Replaces the state by one that state() returned (of an optimizer of the same kind on the same
  /// graph). Throws Error naming each missing, unexpected or mis-shaped tensor; the state is unchanged
  /// then.
  virtual void load_state(const Parameters& state) = 0;

  /// Updates taken so far.
  virtual int64_t steps() const = 0;

  virtual const OptimizerOptions& options() const = 0;
};

/// The optimizer `options.kind` for the trainable parameters of `graph` (the graph's ParamSpecs say which
/// parameters are 1-D for the decay exemption). Throws UnknownNameError listing the known kinds,
/// InvalidArgument for an option out of range (negative momentum or decay, Nesterov without momentum,
/// betas outside [0, 1), negative eps).
std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options, const Graph& graph);

/// "sgd", "adam", "adamw".
std::vector<std::string_view> optimizer_kinds();

/// Learning rate per iteration. With W = round(warmup_epochs * iterations_per_epoch) warm-up iterations,
/// i the iteration (0-based), n = iterations_per_epoch, e = floor(i / n) the whole epoch:
///   i < W (warm-up):  lr = base_lr * (f + (1 - f) * i / W),   f = warmup_start_factor
///   constant:         lr = base_lr
///   step:             lr = base_lr * gamma^floor(e / step_size)
///   multistep:        lr = base_lr * gamma^(number of milestones <= e)
///   cosine:           lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * t / T)) / 2,
///                     t = (i - W) / n and T = epochs - W / n (fractional epochs after warm-up), t <= T
/// Step and multistep count epochs from the start of the run, warm-up included (milestone 30 is epoch
/// 30); a change that falls inside the warm-up shows once it ends. The cosine reaches min_lr at the end
/// of `epochs` and stays there.
struct ScheduleOptions {
  std::string kind = "cosine";  ///< "constant", "step", "multistep" or "cosine"
  double base_lr = 0.1;
  int64_t step_size = 30;             ///< step: epochs between decays
  std::vector<int64_t> milestones{};  ///< multistep: epochs at which the rate is multiplied by gamma
  double gamma = 0.1;                 ///< step, multistep
  double warmup_epochs = 0;           ///< may be fractional; 0 = none
  double warmup_start_factor = 0.1;   ///< the warm-up starts at base_lr * this
  int64_t epochs = 90;                ///< cosine: the length of the run
  double min_lr = 0;                  ///< cosine: the rate at the end
};

/// The rate of iteration `iteration` (0-based, counted over the whole run) as documented above. Throws
/// InvalidArgument for an unknown kind (listing the known), for options out of range, or for a negative
/// iteration or a non-positive iterations_per_epoch.
double learning_rate(const ScheduleOptions& options, int64_t iteration, int64_t iterations_per_epoch);

/// Checks the options as learning_rate does; throws the same errors.
void validate(const ScheduleOptions& options);

/// "constant", "step", "multistep", "cosine".
std::vector<std::string_view> schedule_kinds();

/// The options as a JSON object (for a checkpoint's metadata) and back. The readers take any subset of
/// the fields (the rest keep their defaults) and throw InvalidArgument naming an unknown or mistyped field.
std::string to_json(const OptimizerOptions& options);
std::string to_json(const ScheduleOptions& options);
OptimizerOptions optimizer_options_from_json(const std::string& json);
ScheduleOptions schedule_options_from_json(const std::string& json);

}  // namespace cnnzoo
