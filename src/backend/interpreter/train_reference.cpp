// The float64 reference training step: forward with batch statistics, loss, and backward node by node.
#include <fmt/format.h>

#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/reference.h"
#include "ops/family_table.h"

namespace cnnzoo {
namespace {

using Vec = std::vector<double>;
using ref::In;
using ref::Out;

Vec to_double(const Tensor& t) {
  const auto f = t.f32();
  return Vec(f.begin(), f.end());
}

Tensor to_float(const Vec& v, const Dims& shape) {
  Tensor t(shape);
  std::transform(v.begin(), v.end(), t.f32().begin(), [](double d) { return static_cast<float>(d); });
  return t;
}

class TrainInterpreter {
 public:
  TrainInterpreter(const Graph& g, const Parameters& p, const TrainingOptions& o, int64_t step)
      : g_(g), o_(o), step_(step), values_(g.values().size()), grads_(g.values().size()), saved_(g.nodes().size()) {
    for (const auto& [name, t] : p) {
      if (t.dtype() == DType::F32) params_.emplace(name, to_double(t));
    }
  }

  ReferenceStep run(const Tensor& input, std::span<const int64_t> labels) {
    values_[static_cast<std::size_t>(g_.inputs()[0])] = to_double(input);
    for (NodeId id = 0; id < static_cast<NodeId>(g_.nodes().size()); ++id) forward(id);
    ReferenceStep result;
    for (std::size_t i = 0; i < g_.outputs().size(); ++i) {
      const ValueId v = g_.outputs()[i];
      const double weight = i == 0 ? 1.0 : o_.aux_loss_weight;
      Vec dlogits(value(v).size());
      const double loss = ref::softmax_cross_entropy<double>(view(v), labels, o_.label_smoothing, out(dlogits, v));
      for (double& d : dlogits) d *= weight;
      result.loss += weight * loss;
      accumulate(v, dlogits);
      result.outputs.push_back(to_float(value(v), shape(v)));
    }
    for (NodeId id = static_cast<NodeId>(g_.nodes().size()) - 1; id >= 0; --id) backward(id);
    for (const Node& n : g_.nodes()) {
      for (const ParamSpec& p : n.params) {
        if (p.kind == ParamKind::Trainable) {
          result.gradients.emplace(p.name, to_float(param_grads_.at(p.name), p.shape));
        } else if (p.dtype == DType::F32) {
          result.buffers.emplace(p.name, to_float(params_.at(p.name), p.shape));
        }
      }
    }
    return result;
  }

 private:
  struct Saved {
    Vec mean, invstd;
    std::vector<uint8_t> mask;
  };

  const Dims& shape(ValueId v) const { return g_.shape(v); }
  Vec& value(ValueId v) { return values_[static_cast<std::size_t>(v)]; }
  In<double> view(ValueId v) { return In<double>(value(v), shape(v)); }
  Out<double> out(Vec& data, ValueId v) { return Out<double>(data, shape(v)); }
  Vec& param(const Node& n, const char* suffix) {
    auto it = params_.find(fmt::format("{}.{}", n.name, suffix));
    if (it == params_.end()) throw Error(fmt::format("parameter '{}.{}' is missing", n.name, suffix));
    return it->second;
  }
  In<double> param_view(const Node& n, const char* suffix) {
    for (const ParamSpec& p : n.params) {
      if (p.name == n.name + "." + suffix) return In<double>(param(n, suffix), p.shape);
    }
    throw Error(fmt::format("{} has no parameter {}", n.name, suffix));
  }
  Vec& grad_of(const Node& n, const char* suffix) {
    const std::string name = fmt::format("{}.{}", n.name, suffix);
    Vec& g = param_grads_[name];
    g.assign(param(n, suffix).size(), 0.0);
    return g;
  }
  void accumulate(ValueId v, const Vec& g) {
    Vec& slot = grads_[static_cast<std::size_t>(v)];
    if (slot.empty()) {
      slot = g;
      return;
    }
    for (std::size_t i = 0; i < g.size(); ++i) slot[i] += g[i];
  }
  double dropout_p(const Node& n) const { return o_.dropout ? std::get<attr::Dropout>(n.attrs).p : 0.0; }

  void forward(NodeId id) {
    const Node& n = g_.node(id);
    Vec y(static_cast<std::size_t>(numel(shape(n.output))));
    const ValueId x = n.inputs[0];
    switch (op_family(n.op)) {
      case OpFamily::Conv: {
        const auto& a = std::get<attr::Conv>(n.attrs);
        ref::conv2d_forward<double>(a, view(x), param_view(n, "weight"),
                                    a.bias ? std::span<const double>(param(n, "bias")) : std::span<const double>(),
                                    out(y, n.output));
        break;
      }
      case OpFamily::Linear: {
        const auto& a = std::get<attr::Linear>(n.attrs);
        ref::linear_forward<double>(a, view(x), param_view(n, "weight"),
                                    a.bias ? std::span<const double>(param(n, "bias")) : std::span<const double>(),
                                    out(y, n.output));
        break;
      }
      case OpFamily::BatchNorm: {
        Saved& s = saved_[static_cast<std::size_t>(id)];
        const auto channels = static_cast<std::size_t>(shape(x)[1]);
        s.mean.assign(channels, 0);
        s.invstd.assign(channels, 0);
        ref::batch_norm_forward_training<double>(std::get<attr::BatchNorm>(n.attrs), view(x), param(n, "weight"),
                                                 param(n, "bias"), param(n, "running_mean"), param(n, "running_var"),
                                                 out(y, n.output), s.mean, s.invstd);
        break;
      }
      case OpFamily::Pool:
        pool_forward(n, y);
        break;
      case OpFamily::Lrn:
        ref::lrn_forward<double>(std::get<attr::Lrn>(n.attrs), view(x), out(y, n.output));
        break;
      case OpFamily::Activation:
        ref::activation_forward<double>(n.op, n.attrs, value(x), y);
        break;
      case OpFamily::Softmax:
        ref::softmax_forward<double>(std::get<attr::Softmax>(n.attrs), view(x), out(y, n.output));
        break;
      case OpFamily::Dropout: {
        // The engine's rule: element i (row-major) is kept when unit_uniform(key, i) >= p.
        Saved& s = saved_[static_cast<std::size_t>(id)];
        const double p = dropout_p(n);
        const uint64_t key = stream_key(fmt::format("{}@{}", n.name, step_), o_.seed);
        s.mask.resize(y.size());
        for (std::size_t i = 0; i < y.size(); ++i) s.mask[i] = unit_uniform(key, i) >= p ? 1 : 0;
        ref::dropout_forward<double>({p}, value(x), s.mask, y);
        break;
      }
      case OpFamily::View:  // a view of its input, shaped as the output
        y = value(x);
        break;
      case OpFamily::Concat: {
        std::vector<In<double>> xs;
        for (ValueId v : n.inputs) xs.push_back(view(v));
        ref::concat_forward<double>(std::get<attr::Concat>(n.attrs), xs, out(y, n.output));
        break;
      }
      case OpFamily::Add: {
        std::vector<std::span<const double>> xs;
        for (ValueId v : n.inputs) xs.emplace_back(value(v));
        ref::add_forward<double>(xs, y);
        break;
      }
      case OpFamily::ChannelMul:
        ref::channel_mul_forward<double>(view(x), view(n.inputs[1]), out(y, n.output));
        break;
      case OpFamily::ChannelPad:
        ref::channel_pad_forward<double>(std::get<attr::ChannelPad>(n.attrs), view(x), out(y, n.output));
        break;
      case OpFamily::ChannelAffine:
        ref::channel_affine_forward<double>(std::get<attr::ChannelAffine>(n.attrs), view(x), out(y, n.output));
        break;
      case OpFamily::TensorOp:
      case OpFamily::Constant:  // refused by require_trainable() before any step
        throw Error(fmt::format("{}: op {} cannot be trained", n.name, op_name(n.op)));
    }
    value(n.output) = std::move(y);
  }

  void backward(NodeId id) {
    const Node& n = g_.node(id);
    const Vec& dy_vec = grads_[static_cast<std::size_t>(n.output)];
    if (dy_vec.empty()) return;
    const In<double> dy(dy_vec, shape(n.output));
    const ValueId x = n.inputs[0];
    Vec dx(value(x).size());
    switch (op_family(n.op)) {
      case OpFamily::Conv: {
        const auto& a = std::get<attr::Conv>(n.attrs);
        Vec& dw = grad_of(n, "weight");
        std::span<double> db;
        if (a.bias) db = grad_of(n, "bias");
        ref::conv2d_backward_weights<double>(a, view(x), dy, Out<double>(dw, param_view(n, "weight").shape), db);
        ref::conv2d_backward_data<double>(a, dy, param_view(n, "weight"), out(dx, x));
        break;
      }
      case OpFamily::Linear: {
        const auto& a = std::get<attr::Linear>(n.attrs);
        Vec& dw = grad_of(n, "weight");
        std::span<double> db;
        if (a.bias) db = grad_of(n, "bias");
        ref::linear_backward_weights<double>(view(x), dy, Out<double>(dw, param_view(n, "weight").shape), db);
        ref::linear_backward_data<double>(dy, param_view(n, "weight"), out(dx, x));
        break;
      }
      case OpFamily::BatchNorm: {
        const Saved& s = saved_[static_cast<std::size_t>(id)];
        ref::batch_norm_backward<double>(view(x), dy, param(n, "weight"), s.mean, s.invstd, out(dx, x),
                                         grad_of(n, "weight"), grad_of(n, "bias"));
        break;
      }
      case OpFamily::Pool:
        pool_backward(n, dy, dx);
        break;
      case OpFamily::Lrn:
        ref::lrn_backward<double>(std::get<attr::Lrn>(n.attrs), view(x), dy, out(dx, x));
        break;
      case OpFamily::Activation:
        ref::activation_backward<double>(n.op, n.attrs, value(n.output), dy.data, dx);
        break;
      case OpFamily::Softmax:
        ref::softmax_backward<double>(std::get<attr::Softmax>(n.attrs), view(n.output), dy, out(dx, x));
        break;
      case OpFamily::Dropout:
        ref::dropout_backward<double>({dropout_p(n)}, saved_[static_cast<std::size_t>(id)].mask, dy.data, dx);
        break;
      case OpFamily::View:
        dx.assign(dy.data.begin(), dy.data.end());
        break;
      case OpFamily::Concat: {
        std::vector<Vec> parts;
        std::vector<Out<double>> views;
        for (ValueId v : n.inputs) parts.emplace_back(value(v).size());
        for (std::size_t i = 0; i < n.inputs.size(); ++i) views.push_back(out(parts[i], n.inputs[i]));
        ref::concat_backward<double>(std::get<attr::Concat>(n.attrs), dy, views);
        for (std::size_t i = 0; i < n.inputs.size(); ++i) accumulate(n.inputs[i], parts[i]);
        return;
      }
      case OpFamily::Add:
        for (ValueId v : n.inputs) accumulate(v, dy_vec);
        return;
      case OpFamily::ChannelMul: {
        Vec ds(value(n.inputs[1]).size());
        ref::channel_mul_backward<double>(view(x), view(n.inputs[1]), dy, out(dx, x), out(ds, n.inputs[1]));
        accumulate(n.inputs[1], ds);
        break;
      }
      case OpFamily::ChannelPad:
        ref::channel_pad_backward<double>(std::get<attr::ChannelPad>(n.attrs), dy, out(dx, x));
        break;
      case OpFamily::ChannelAffine:
        ref::channel_affine_backward<double>(std::get<attr::ChannelAffine>(n.attrs), dy, out(dx, x));
        break;
      case OpFamily::TensorOp:
      case OpFamily::Constant:  // refused by require_trainable() before any step
        throw Error(fmt::format("{}: op {} cannot be trained", n.name, op_name(n.op)));
    }
    accumulate(x, dx);
  }

  static_assert(ops::family_size(OpFamily::Pool) == 4, "pool_forward() and pool_backward() tell apart 4 pooling ops");
  void pool_forward(const Node& n, Vec& y) {
    const ValueId x = n.inputs[0];
    if (n.op == OpKind::AdaptiveAvgPool) {
      return ref::adaptive_avg_pool2d_forward<double>(std::get<attr::AdaptiveAvgPool>(n.attrs), view(x),
                                                      out(y, n.output));
    }
    if (n.op == OpKind::GlobalAvgPool) return ref::global_avg_pool_forward<double>(view(x), out(y, n.output));
    const auto& a = std::get<attr::Pool>(n.attrs);
    if (n.op == OpKind::MaxPool) return ref::max_pool2d_forward<double>(a, view(x), out(y, n.output));
    ref::avg_pool2d_forward<double>(a, view(x), out(y, n.output));
  }

  void pool_backward(const Node& n, const In<double>& dy, Vec& dx) {
    const ValueId x = n.inputs[0];
    if (n.op == OpKind::AdaptiveAvgPool) {
      return ref::adaptive_avg_pool2d_backward<double>(std::get<attr::AdaptiveAvgPool>(n.attrs), dy, out(dx, x));
    }
    if (n.op == OpKind::GlobalAvgPool) return ref::global_avg_pool_backward<double>(dy, out(dx, x));
    const auto& a = std::get<attr::Pool>(n.attrs);
    if (n.op == OpKind::MaxPool) return ref::max_pool2d_backward<double>(a, view(x), dy, out(dx, x));
    ref::avg_pool2d_backward<double>(a, dy, out(dx, x));
  }

  const Graph& g_;
  const TrainingOptions& o_;
  int64_t step_;
  std::map<std::string, Vec, std::less<>> params_;
  std::map<std::string, Vec, std::less<>> param_grads_;
  std::vector<Vec> values_;
  std::vector<Vec> grads_;
  std::vector<Saved> saved_;
};

}  // namespace

ReferenceStep reference_training_step(const Graph& graph, const Parameters& parameters, const Tensor& input,
                                      std::span<const int64_t> labels, const TrainingOptions& options, int64_t step) {
  require_trainable(graph);
  return TrainInterpreter(graph, parameters, options, step).run(input, labels);
}

}  // namespace cnnzoo
