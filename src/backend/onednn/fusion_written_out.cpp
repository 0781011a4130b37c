// GELU and layer normalization as exporters write them before ONNX had the ops (opsets 20 and 17), found here so that
// the engine runs each as one oneDNN primitive:
// - GELU, x * (erf(x / sqrt 2) + 1) * 0.5, five nodes: eltwise gelu_erf (oneDNN 2.6 has erf only inside it);
// - layer normalization, d = x - mean(x), d / sqrt(mean(d^2) + eps), seven nodes, then optionally times a scale and
//   plus a bias (torch.onnx's F.layer_norm at opset 13: ConvNeXt's): layer_normalization.
#include <cmath>
#include <numbers>
#include <optional>
#include <vector>

#include "backend/onednn/compiler.h"

namespace cnnzoo::onednn {

namespace {

// The value of `v` when a Constant node makes it and it is one number.
std::optional<double> scalar_constant(const Graph& g, const Parameters& parameters, ValueId v) {
  const NodeId producer = g.value(v).producer;
  if (producer == kNoNode || g.node(producer).op != OpKind::Constant || g.node(producer).params.size() != 1) {
    return std::nullopt;
  }
  const auto it = parameters.find(g.node(producer).params[0].name);
  if (it == parameters.end() || it->second.numel() != 1) return std::nullopt;
  return it->second.f32()[0];
}

// The operand of two-input node `n` that is not `v` (nullopt when `v` is both, or `n` has other arity).
std::optional<ValueId> other_operand(const Node& n, ValueId v) {
  if (n.inputs.size() != 2 || n.inputs[0] == n.inputs[1]) return std::nullopt;
  if (n.inputs[0] == v) return n.inputs[1];
  if (n.inputs[1] == v) return n.inputs[0];
  return std::nullopt;
}

// Whether the constant is `wanted` up to float rounding (an exporter writes sqrt 2 as the float 1.4142135).
bool is_about(std::optional<double> constant, double wanted) {
  return constant && std::abs(*constant - wanted) <= 1e-6 * std::abs(wanted);
}

class WrittenOutFinder {
 public:
  WrittenOutFinder(const Graph& g, const Parameters& parameters) : g_(g), parameters_(parameters) {}

  // From the node that scales x (a Div by sqrt 2, or a multiplication by its inverse), through nodes whose values
  // nothing else reads, to the final halving.
  bool match_gelu(NodeId scale_id, Fusions& f) const {
    const Node& scale = g_.node(scale_id);
    const ValueId x = scale.inputs[0];
    const bool scales_x = scale.op == OpKind::Div ? is_constant_operand(scale_id, x, std::numbers::sqrt2)
                                                  : is_times(scale_id, x, 1 / std::numbers::sqrt2);
    if (!scales_x || g_.shape(scale.output) != g_.shape(x)) return false;
    const auto erf = g_.only_consumer(scale.output, OpKind::Erf);
    if (!erf) return false;
    const auto plus_one = g_.only_consumer(g_.node(*erf).output, OpKind::Add);
    if (!plus_one || !is_constant_operand(*plus_one, g_.node(*erf).output, 1.0)) return false;
    const auto times_x = g_.only_consumer(g_.node(*plus_one).output, OpKind::Mul);
    if (!times_x || other_operand(g_.node(*times_x), g_.node(*plus_one).output) != x) return false;
    const ValueId product = g_.node(*times_x).output;
    const Value& read = g_.value(product);
    if (read.consumers.size() != 1 || g_.is_output(product) || !is_times(read.consumers[0], product, 0.5)) return false;
    const NodeId half = read.consumers[0];
    // A constant of a higher rank than x would broadcast the values to another shape.
    for (NodeId id : {*erf, *plus_one, *times_x, half}) {
      if (g_.shape(g_.node(id).output) != g_.shape(x)) return false;
    }
    f.gelu.emplace(half, x);
    for (NodeId absorbed : {scale_id, *erf, *plus_one, *times_x}) f.absorbed.insert(absorbed);
    return true;
  }

  // From the first mean: the nodes up to the division, their values read by nothing else (the difference by the
  // square and the division only), then a scale and a bias of the normalized dimensions' shape where they follow.
  bool match_layer_norm(NodeId mean_id, Fusions& f) const {
    const Node& mean = g_.node(mean_id);
    const auto& reduce = std::get<attr::Reduce>(mean.attrs);
    const ValueId x = mean.inputs[0];
    const std::optional<int64_t> axis = trailing_axis(reduce, g_.shape(x).size());
    if (!axis || !reduce.keepdims) return false;
    const auto sub = g_.only_consumer(mean.output, OpKind::Sub);
    if (!sub || g_.node(*sub).inputs != std::vector{x, mean.output}) return false;
    const ValueId d = g_.node(*sub).output;
    const Value& d_read = g_.value(d);
    if (d_read.consumers.size() != 2 || g_.is_output(d)) return false;
    const bool pow_first = g_.node(d_read.consumers[0]).op == OpKind::Pow;
    const NodeId square = d_read.consumers[pow_first ? 0 : 1];
    const NodeId divide = d_read.consumers[pow_first ? 1 : 0];
    const bool squares = g_.node(square).op == OpKind::Pow && g_.node(square).inputs[0] == d &&
                         is_about(scalar_constant(g_, parameters_, g_.node(square).inputs[1]), 2.0);
    if (!squares) return false;
    const auto variance = g_.only_consumer(g_.node(square).output, OpKind::ReduceMean);
    if (!variance) return false;
    const auto& variance_reduce = std::get<attr::Reduce>(g_.node(*variance).attrs);
    if (variance_reduce.axes != reduce.axes || !variance_reduce.keepdims) return false;
    const auto plus_eps = g_.only_consumer(g_.node(*variance).output, OpKind::Add);
    if (!plus_eps) return false;
    const auto other = other_operand(g_.node(*plus_eps), g_.node(*variance).output);
    const std::optional<double> epsilon = other ? scalar_constant(g_, parameters_, *other) : std::nullopt;
    if (!epsilon || !(*epsilon >= 0)) return false;
    const auto root = g_.only_consumer(g_.node(*plus_eps).output, OpKind::Sqrt);
    if (!root || g_.node(divide).op != OpKind::Div || g_.node(divide).inputs != std::vector{d, g_.node(*root).output}) {
      return false;
    }
    // A constant of a higher rank (a 2 or an eps of shape 1 x 1 x ...) would broadcast the values to another shape.
    const Dims& x_shape = g_.shape(x);
    const Dims& reduced = g_.shape(mean.output);
    if (g_.shape(g_.node(square).output) != x_shape || g_.shape(g_.node(*plus_eps).output) != reduced ||
        g_.shape(g_.node(divide).output) != x_shape) {
      return false;
    }
    LayerNormOf of{.x = x, .axis = *axis, .epsilon = *epsilon};
    std::vector<NodeId> absorbed{mean_id, *sub, square, *variance, *plus_eps, *root};
    NodeId last = divide;
    const Dims normalized(x_shape.begin() + *axis, x_shape.end());
    // The scale and the bias: a Mul, then an Add, by a value of the normalized dimensions' shape.
    for (const OpKind op : {OpKind::Mul, OpKind::Add}) {
      const auto next = g_.only_consumer(g_.node(last).output, op);
      const auto operand = next ? other_operand(g_.node(*next), g_.node(last).output) : std::nullopt;
      if (!operand || g_.shape(*operand) != normalized || g_.shape(g_.node(*next).output) != x_shape) break;
      (op == OpKind::Mul ? of.scale : of.bias) = *operand;
      absorbed.push_back(last);
      last = *next;
    }
    f.layer_norm.emplace(last, of);
    f.absorbed.insert(absorbed.begin(), absorbed.end());
    return true;
  }

 private:
  // The first reduced axis when the reduction is over every axis from it to the last, as a layer norm's.
  static std::optional<int64_t> trailing_axis(const attr::Reduce& reduce, std::size_t rank) {
    if (reduce.axes.empty()) return 0;
    const int64_t first = reduce.axes.front();
    for (std::size_t i = 0; i < reduce.axes.size(); ++i) {
      if (reduce.axes[i] != first + static_cast<int64_t>(i)) return std::nullopt;
    }
    return reduce.axes.back() == static_cast<int64_t>(rank) - 1 ? std::optional(first) : std::nullopt;
  }

  // Whether node `id` multiplies `v` by `wanted`: a Mul by a constant, or the Scale the importer makes of one.
  bool is_times(NodeId id, ValueId v, double wanted) const {
    const Node& n = g_.node(id);
    if (n.op == OpKind::Scale) return n.inputs[0] == v && is_about(std::get<attr::Scale>(n.attrs).factor, wanted);
    return n.op == OpKind::Mul && is_constant_operand(id, v, wanted);
  }

  // Whether node `id` combines `v` with a constant `wanted`.
  bool is_constant_operand(NodeId id, ValueId v, double wanted) const {
    const std::optional<ValueId> other = other_operand(g_.node(id), v);
    return other && is_about(scalar_constant(g_, parameters_, *other), wanted);
  }

  const Graph& g_;
  const Parameters& parameters_;
};

}  // namespace

void plan_written_out_fusions(const Graph& g, const Parameters& parameters, Fusions& f) {
  const WrittenOutFinder finder(g, parameters);
  for (NodeId id = 0; id < static_cast<NodeId>(g.nodes().size()); ++id) {
    if (f.absorbed.contains(id)) continue;
    const OpKind op = g.node(id).op;
    if (op == OpKind::ReduceMean) {
      finder.match_layer_norm(id, f);
    } else if (op == OpKind::Div || op == OpKind::Mul || op == OpKind::Scale) {
      finder.match_gelu(id, f);
    }
  }
}

}  // namespace cnnzoo::onednn
