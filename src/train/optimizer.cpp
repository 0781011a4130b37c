// SGD, Adam and AdamW as torch.optim 1.13 computes them with foreach=False: per element in float32, the
// hyper-parameters rounded to float32 where PyTorch turns a Python float into a tensor scalar, the
// scalar arithmetic (bias corrections, step size) in double as Python does it.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "cnnzoo/error.h"
#include "cnnzoo/optim.h"

namespace cnnzoo {
namespace {

constexpr const char* kStepName = "optim.step";

struct Trainable {
  std::string name;
  Dims shape;
  bool decay = true;
};

std::vector<Trainable> trainables(const Graph& graph, bool decay_1d) {
  std::vector<Trainable> out;
  for (const Node& node : graph.nodes()) {
    for (const ParamSpec& p : node.params) {
      if (p.kind != ParamKind::Trainable) continue;
      out.push_back({.name = p.name, .shape = p.shape, .decay = decay_1d || p.shape.size() != 1});
    }
  }
  return out;
}

// The per-element updates. PyTorch's CPU kernels compute `a + alpha * b` (add with alpha, addcmul) as one
// fused multiply-add, so these use std::fma there: exact on every machine, and an FMA instruction where the
// CPU has one (the "fma" clone); without it std::fma is a call into libm.
struct SgdArgs {
  float* w;
  const float* g;
  float* buf;  // null without momentum
  float wd, momentum, neg_lr;
  bool decay, nesterov, first;
};

[[gnu::target_clones("fma", "default")]] void sgd_kernel(const SgdArgs& a, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    float d = a.decay ? std::fma(a.wd, a.w[i], a.g[i]) : a.g[i];
    if (a.buf != nullptr) {
      a.buf[i] = a.first ? d : std::fma(1.0f, d, a.buf[i] * a.momentum);  // dampening 0
      d = a.nesterov ? std::fma(a.momentum, a.buf[i], d) : a.buf[i];
    }
    a.w[i] = std::fma(a.neg_lr, d, a.w[i]);
  }
}

struct AdamArgs {
  float* w;
  const float* g;
  float *m, *v;
  float wd, decay_factor, beta1, beta2, one_minus_beta1, one_minus_beta2, neg_step_size, bias_correction2_sqrt, eps;
  bool l2, decoupled;
};

[[gnu::target_clones("fma", "default")]] void adam_kernel(const AdamArgs& a, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    if (a.decoupled) a.w[i] = a.w[i] * a.decay_factor;
    const float g = a.l2 ? std::fma(a.wd, a.w[i], a.g[i]) : a.g[i];
    a.m[i] = std::fma(a.one_minus_beta1, g, a.m[i] * a.beta1);
    a.v[i] = std::fma(a.one_minus_beta2 * g, g, a.v[i] * a.beta2);
    const float denom = std::sqrt(a.v[i]) / a.bias_correction2_sqrt + a.eps;
    a.w[i] = a.w[i] + a.neg_step_size * a.m[i] / denom;  // addcdiv: a multiply and a divide, not fused
  }
}

// Runs kernel(args, begin, end) over [0, n) in chunks; elements are independent, so threads do not
// change the result.
template <typename Args>
void run_chunks(void (*kernel)(const Args&, int64_t, int64_t), const Args& args, int64_t n) {
  constexpr int64_t kChunk = 1 << 15;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) kernel(args, c * kChunk, std::min(n, (c + 1) * kChunk));
}

// What both optimizers share: the parameters they update, the step count and named state buffers.
class OptimizerBase : public Optimizer {
 public:
  OptimizerBase(const OptimizerOptions& options, const Graph& graph, std::vector<std::string> buffer_kinds)
      : options_(options),
        params_(trainables(graph, options.decay_bn_and_bias)),
        buffer_kinds_(std::move(buffer_kinds)) {
    for (std::size_t i = 0; i < params_.size(); ++i) index_.emplace(params_[i].name, i);
  }

  void step(Parameters& params, const Parameters& grads, double lr) final {
    check_inputs(params, grads);
    begin_step(lr);
    for (const auto& p : params_)
      update_one(p, params.find(p.name)->second.f32(), grads.find(p.name)->second.f32(), lr_, first_);
  }

  void begin_step(double lr) final {
    if (!std::isfinite(lr) || lr < 0) throw InvalidArgument(fmt::format("optimizer: learning rate {} is not >= 0", lr));
    first_ = step_ == 0 || buffers_.empty();
    if (first_) {
      buffers_.clear();
      for (const auto& p : params_)
        for (const auto& kind : buffer_kinds_) buffers_.emplace(buffer_name(kind, p.name), Tensor(p.shape));
    }
    ++step_;
    lr_ = lr;
  }

  void update(std::string_view name, std::span<float> param, std::span<const float> grad) final {
    // Called once per parameter and step, inside a training step: found by hash, not by a scan.
    const auto found = index_.find(std::string(name));
    if (found == index_.end()) {
      throw Error(fmt::format("{} optimizer: no trainable parameter '{}'", options_.kind, name));
    }
    const Trainable& p = params_[found->second];
    const auto size = static_cast<std::size_t>(numel(p.shape));
    if (param.size() != size || grad.size() != size) {
      throw Error(fmt::format("{} optimizer: '{}' has {} elements, got {} and a gradient of {}", options_.kind, name,
                              size, param.size(), grad.size()));
    }
    update_one(p, param, grad, lr_, first_);
  }

  Parameters state() const final {
    Parameters out;
    Tensor step(Dims{}, DType::I64);
    step.i64()[0] = step_;
    out.emplace(kStepName, std::move(step));
    for (const auto& [name, t] : buffers_) out.emplace(name, t);
    return out;
  }

  void load_state(const Parameters& state) final {
    WeightCheck check;
    const auto step_it = state.find(kStepName);
    int64_t step = 0;
    if (step_it == state.end()) {
      check.missing.push_back(kStepName);
    } else if (step_it->second.dtype() != DType::I64 || !step_it->second.shape().empty()) {
      check.mismatched.push_back(fmt::format("{}: expected an int64 scalar, got {} {}", kStepName,
                                             dtype_name(step_it->second.dtype()), to_string(step_it->second.shape())));
    } else {
      step = step_it->second.i64()[0];
      if (step < 0) check.mismatched.push_back(fmt::format("{}: negative step count {}", kStepName, step));
    }
    // Buffers exist from the first step on.
    std::set<std::string> expected{kStepName};
    if (step > 0) {
      for (const auto& p : params_) {
        for (const auto& kind : buffer_kinds_) {
          const std::string name = buffer_name(kind, p.name);
          expected.insert(name);
          const auto it = state.find(name);
          if (it == state.end()) {
            check.missing.push_back(name);
          } else if (it->second.shape() != p.shape || it->second.dtype() != DType::F32) {
            check.mismatched.push_back(fmt::format("{}: expected float32 {}, got {} {}", name, to_string(p.shape),
                                                   dtype_name(it->second.dtype()), to_string(it->second.shape())));
          }
        }
      }
    }
    for (const auto& [name, t] : state)
      if (!expected.contains(name)) check.unexpected.push_back(name);
    if (!check.ok()) {
      throw Error(fmt::format("{} optimizer state does not fit the model: {}", options_.kind, check.message()));
    }
    step_ = step;
    buffers_.clear();
    for (const auto& [name, t] : state)
      if (name != kStepName) buffers_.emplace(name, t);
  }

  int64_t steps() const final { return step_; }
  const OptimizerOptions& options() const final { return options_; }

 protected:
  static std::string buffer_name(const std::string& kind, const std::string& param) {
    return fmt::format("optim.{}.{}", kind, param);
  }
  std::span<float> buffer(const std::string& kind, const std::string& param) {
    return buffers_.find(buffer_name(kind, param))->second.f32();
  }
  /// Updates one parameter; `first` on the optimizer's first step (buffers freshly zeroed).
  virtual void update_one(const Trainable& p, std::span<float> param, std::span<const float> grad, double lr,
                          bool first) = 0;

  OptimizerOptions options_;
  std::vector<Trainable> params_;
  int64_t step_ = 0;
  double lr_ = 0;      ///< of the step begun
  bool first_ = true;  ///< the step begun is the first

 private:
  void check_inputs(const Parameters& params, const Parameters& grads) const {
    WeightCheck check;
    for (const auto& p : params_) {
      for (const auto& [set, what] : {std::pair{&params, "parameter"}, std::pair{&grads, "gradient"}}) {
        const auto it = set->find(p.name);
        if (it == set->end()) {
          check.missing.push_back(fmt::format("{} {}", what, p.name));
        } else if (it->second.shape() != p.shape || it->second.dtype() != DType::F32) {
          check.mismatched.push_back(fmt::format("{} {}: expected float32 {}, got {} {}", what, p.name,
                                                 to_string(p.shape), dtype_name(it->second.dtype()),
                                                 to_string(it->second.shape())));
        }
      }
    }
    if (grads.size() != params_.size()) {
      std::set<std::string> known;
      for (const auto& p : params_) known.insert(p.name);
      for (const auto& [name, g] : grads)
        if (!known.contains(name)) check.unexpected.push_back(fmt::format("gradient {}", name));
    }
    if (!check.ok()) throw Error(fmt::format("{} optimizer step: {}", options_.kind, check.message()));
  }

  std::vector<std::string> buffer_kinds_;
  std::unordered_map<std::string, std::size_t> index_;  ///< params_ by name
  Parameters buffers_;
};

class Sgd final : public OptimizerBase {
 public:
  Sgd(const OptimizerOptions& o, const Graph& g)
      : OptimizerBase(o, g, o.momentum != 0 ? std::vector<std::string>{"momentum"} : std::vector<std::string>{}) {}

 private:
  void update_one(const Trainable& p, std::span<float> param, std::span<const float> grad, double lr,
                  bool first) override {
    const SgdArgs args{.w = param.data(),
                       .g = grad.data(),
                       .buf = options_.momentum != 0 ? buffer("momentum", p.name).data() : nullptr,
                       .wd = static_cast<float>(options_.weight_decay),
                       .momentum = static_cast<float>(options_.momentum),
                       .neg_lr = static_cast<float>(-lr),
                       .decay = p.decay && options_.weight_decay != 0,
                       .nesterov = options_.nesterov,
                       .first = first};
    run_chunks(sgd_kernel, args, std::ssize(param));
  }
};

class Adam final : public OptimizerBase {
 public:
  Adam(const OptimizerOptions& o, const Graph& g, bool decoupled)
      : OptimizerBase(o, g, {"exp_avg", "exp_avg_sq"}), decoupled_(decoupled) {}

 private:
  void update_one(const Trainable& p, std::span<float> param, std::span<const float> grad, double lr, bool) override {
    const double wd = p.decay ? options_.weight_decay : 0.0;
    const bool l2 = !decoupled_ && wd != 0;
    const auto wd_f = static_cast<float>(wd);
    const auto decay_factor = static_cast<float>(1 - lr * wd);  // AdamW: applied even when wd is 0 (a no-op)
    const auto beta1 = static_cast<float>(options_.beta1);
    const auto beta2 = static_cast<float>(options_.beta2);
    const auto one_minus_beta1 = static_cast<float>(1 - options_.beta1);
    const auto one_minus_beta2 = static_cast<float>(1 - options_.beta2);
    const auto step = static_cast<double>(step_);
    const double bias_correction1 = 1 - std::pow(options_.beta1, step);
    const double bias_correction2 = 1 - std::pow(options_.beta2, step);
    const auto neg_step_size = static_cast<float>(-(lr / bias_correction1));
    const auto bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
    const AdamArgs args{.w = param.data(),
                        .g = grad.data(),
                        .m = buffer("exp_avg", p.name).data(),
                        .v = buffer("exp_avg_sq", p.name).data(),
                        .wd = wd_f,
                        .decay_factor = decay_factor,
                        .beta1 = beta1,
                        .beta2 = beta2,
                        .one_minus_beta1 = one_minus_beta1,
                        .one_minus_beta2 = one_minus_beta2,
                        .neg_step_size = neg_step_size,
                        .bias_correction2_sqrt = bias_correction2_sqrt,
                        .eps = static_cast<float>(options_.eps),
                        .l2 = l2,
                        .decoupled = decoupled_};
    run_chunks(adam_kernel, args, std::ssize(param));
  }

  bool decoupled_;
};

void check_options(const OptimizerOptions& o) {
  const auto bad = [&](const std::string& what) {
    throw InvalidArgument(fmt::format("optimizer {}: {}", o.kind, what));
  };
  if (!(o.weight_decay >= 0) || !std::isfinite(o.weight_decay))
    bad(fmt::format("weight decay must be >= 0, got {}", o.weight_decay));
  if (o.kind == "sgd") {
    if (!(o.momentum >= 0) || !std::isfinite(o.momentum)) bad(fmt::format("momentum must be >= 0, got {}", o.momentum));
    if (o.nesterov && o.momentum == 0) bad("Nesterov momentum needs a momentum > 0");
  } else {
    if (!(o.beta1 >= 0 && o.beta1 < 1)) bad(fmt::format("beta1 must be in [0, 1), got {}", o.beta1));
    if (!(o.beta2 >= 0 && o.beta2 < 1)) bad(fmt::format("beta2 must be in [0, 1), got {}", o.beta2));
    if (!(o.eps >= 0) || !std::isfinite(o.eps)) bad(fmt::format("eps must be >= 0, got {}", o.eps));
  }
}

}  // namespace

std::vector<std::string_view> optimizer_kinds() { return {"sgd", "adam", "adamw"}; }

std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options, const Graph& graph) {
  if (options.kind != "sgd" && options.kind != "adam" && options.kind != "adamw") {
    throw UnknownNameError(
        fmt::format("unknown optimizer '{}' (known: {})", options.kind, fmt::join(optimizer_kinds(), ", ")));
  }
  check_options(options);
  if (options.kind == "sgd") return std::make_unique<Sgd>(options, graph);
  return std::make_unique<Adam>(options, graph, options.kind == "adamw");
}

}  // namespace cnnzoo
