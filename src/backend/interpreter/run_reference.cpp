#include <fmt/format.h>

#include "cnnzoo/error.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/reference.h"
#include "ops/family_table.h"

namespace cnnzoo {
namespace {

using ref::In;
using ref::Out;

In<float> in(const Tensor& t) { return In<float>(t.f32(), t.shape()); }
Out<float> out(Tensor& t) { return Out<float>(t.f32(), t.shape()); }

class Interpreter {
 public:
  Interpreter(const Graph& g, const Parameters& p) : g_(g), p_(p), values_(g.values().size()) {}

  std::vector<Tensor> run(std::span<const Tensor> inputs) {
    if (inputs.size() != g_.inputs().size()) {
      throw ShapeError(fmt::format("{} takes {} inputs, got {}", g_.name(), g_.inputs().size(), inputs.size()));
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Value& v = g_.value(g_.inputs()[i]);
      if (inputs[i].shape() != v.shape) {
        throw ShapeError(
            fmt::format("input {}: expected {}, got {}", v.name, to_string(v.shape), to_string(inputs[i].shape())));
      }
      values_[static_cast<std::size_t>(g_.inputs()[i])] = inputs[i];
    }
    for (const Node& n : g_.nodes()) {
      Tensor y(g_.shape(n.output));
      compute(n, y);
      values_[static_cast<std::size_t>(n.output)] = std::move(y);
    }
    std::vector<Tensor> outputs;
    for (ValueId v : g_.outputs()) outputs.push_back(values_[static_cast<std::size_t>(v)]);
    return outputs;
  }

 private:
  const Tensor& value(ValueId v) const { return values_.at(static_cast<std::size_t>(v)); }
  const Tensor& x(const Node& n, std::size_t i = 0) const { return value(n.inputs.at(i)); }
  std::span<const float> param(const Node& n, const char* suffix) const {
    auto it = p_.find(fmt::format("{}.{}", n.name, suffix));
    if (it == p_.end()) throw Error(fmt::format("parameter '{}.{}' is missing", n.name, suffix));
    return it->second.f32();
  }
  In<float> param_view(const Node& n, const char* suffix) const {
    return In<float>(param(n, suffix), p_.find(fmt::format("{}.{}", n.name, suffix))->second.shape());
  }
  std::span<const float> optional_bias(const Node& n, bool has_bias) const {
    return has_bias ? param(n, "bias") : std::span<const float>();
  }

  bool all_inputs_shaped_as(const Node& n, const Dims& shape) const {
    for (ValueId v : n.inputs) {
      if (g_.shape(v) != shape) return false;
    }
    return true;
  }

  // One case per op family; a family added to OpFamily without one does not compile (-Werror=switch).
  void compute(const Node& n, Tensor& y) {
    switch (op_family(n.op)) {
      case OpFamily::Conv: {
        const auto& a = std::get<attr::Conv>(n.attrs);
        return ref::conv2d_forward(a, in(x(n)), param_view(n, "weight"), optional_bias(n, a.bias), out(y));
      }
      case OpFamily::Pool:
        return pool(n, y);
      case OpFamily::BatchNorm:
        return ref::batch_norm_forward_inference(std::get<attr::BatchNorm>(n.attrs), in(x(n)), param(n, "weight"),
                                                 param(n, "bias"), param(n, "running_mean"), param(n, "running_var"),
                                                 out(y));
      case OpFamily::Lrn:
        return ref::lrn_forward(std::get<attr::Lrn>(n.attrs), in(x(n)), out(y));
      case OpFamily::Activation:
        return ref::activation_forward<float>(n.op, n.attrs, x(n).f32(), y.f32());
      case OpFamily::Dropout:
      case OpFamily::View: {  // the identity at inference; a reshape of row-major data
        const auto src = x(n).f32();
        std::copy(src.begin(), src.end(), y.f32().begin());
        return;
      }
      case OpFamily::Linear: {
        const auto& a = std::get<attr::Linear>(n.attrs);
        return ref::linear_forward(a, in(x(n)), param_view(n, "weight"), optional_bias(n, a.bias), out(y));
      }
      case OpFamily::Concat: {
        std::vector<In<float>> xs;
        for (std::size_t i = 0; i < n.inputs.size(); ++i) xs.push_back(in(x(n, i)));
        return ref::concat_forward(std::get<attr::Concat>(n.attrs), std::span<const In<float>>(xs), out(y));
      }
      case OpFamily::Add:
        return add(n, y);
      case OpFamily::ChannelMul:
        return ref::channel_mul_forward(in(x(n, 0)), in(x(n, 1)), out(y));
      case OpFamily::ChannelPad:
        return ref::channel_pad_forward(std::get<attr::ChannelPad>(n.attrs), in(x(n)), out(y));
      case OpFamily::ChannelAffine:
        return ref::channel_affine_forward(std::get<attr::ChannelAffine>(n.attrs), in(x(n)), out(y));
      case OpFamily::Softmax:
        return ref::softmax_forward(std::get<attr::Softmax>(n.attrs), in(x(n)), out(y));
      case OpFamily::TensorOp:
        return tensor_op(n, y);
      case OpFamily::Constant: {
        const auto value = param(n, "value");
        std::copy(value.begin(), value.end(), y.f32().begin());
        return;
      }
    }
  }

  static_assert(ops::family_size(OpFamily::Pool) == 4, "pool() tells apart 4 pooling ops");
  void pool(const Node& n, Tensor& y) {
    if (n.op == OpKind::AdaptiveAvgPool) {
      return ref::adaptive_avg_pool2d_forward(std::get<attr::AdaptiveAvgPool>(n.attrs), in(x(n)), out(y));
    }
    if (n.op == OpKind::GlobalAvgPool) return ref::global_avg_pool_forward(in(x(n)), out(y));
    const auto& a = std::get<attr::Pool>(n.attrs);
    if (n.op == OpKind::MaxPool) return ref::max_pool2d_forward(a, in(x(n)), out(y));
    return ref::avg_pool2d_forward(a, in(x(n)), out(y));
  }

  void add(const Node& n, Tensor& y) {
    if (!all_inputs_shaped_as(n, y.shape())) {
      std::vector<In<float>> views;
      for (std::size_t i = 0; i < n.inputs.size(); ++i) views.push_back(in(x(n, i)));
      return ref::broadcast_sum_forward(std::span<const In<float>>(views), out(y));
    }
    std::vector<std::span<const float>> xs;
    for (std::size_t i = 0; i < n.inputs.size(); ++i) xs.push_back(x(n, i).f32());
    ref::add_forward(std::span<const std::span<const float>>(xs), y.f32());
  }

  void tensor_op(const Node& n, Tensor& y) {
    std::vector<In<float>> xs;
    for (std::size_t i = 0; i < n.inputs.size(); ++i) xs.push_back(in(x(n, i)));
    ref::tensor_op_forward(n.op, n.attrs, std::span<const In<float>>(xs), out(y));
  }

  const Graph& g_;
  const Parameters& p_;
  std::vector<Tensor> values_;
};

}  // namespace

std::vector<Tensor> run_reference(const Graph& graph, const Parameters& parameters, const Tensor& input) {
  return Interpreter(graph, parameters).run(std::span<const Tensor>(&input, 1));
}

std::vector<Tensor> run_reference(const Graph& graph, const Parameters& parameters, std::span<const Tensor> inputs) {
  return Interpreter(graph, parameters).run(inputs);
}

}  // namespace cnnzoo
