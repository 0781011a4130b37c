#include "cnnzoo/builder.h"

#include <fmt/format.h>

#include "cnnzoo/error.h"
#include "ops/rules.h"

namespace cnnzoo {

Builder::Builder(std::string model, Dims input) : graph_(std::move(model)) {
  input_ = graph_.add_input("input", std::move(input));
}

namespace {

// Whether the op's rule gives this node parameters (a convolution, a batch norm, a linear layer). A node
// the rule refuses makes none here; adding it reports why.
bool makes_parameters(const Graph& g, OpKind op, const std::string& name, const Attrs& attrs,
                      const std::vector<ValueId>& inputs) {
  const ops::OpRules& rules = ops::rules(op);
  if (!rules.attrs_fit(attrs)) return false;
  try {
    std::vector<Dims> in;
    for (ValueId v : inputs) in.push_back(g.shape(v));
    return !rules.params(ops::OpContext{name, attrs, in}).empty();
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

ValueId Builder::append(OpKind op, const std::string& name, Attrs attrs, std::vector<ValueId> inputs) {
  // torchvision reuses one parameterless module (a block's `relu`) several times; keep node names unique.
  // A name with parameters must stay as given: it is their state_dict key (a clash is the graph's error).
  std::string unique = name;
  if (!makes_parameters(graph_, op, name, attrs, inputs)) {
    for (int i = 1; graph_.has_node(unique); ++i) unique = fmt::format("{}_{}", name, i);
  }
  return graph_.add_node(std::move(unique), op, std::move(attrs), std::move(inputs));
}

ValueId Builder::conv(ValueId x, const std::string& name, const attr::Conv& a) {
  return append(OpKind::Conv, name, a, {x});
}
ValueId Builder::batch_norm(ValueId x, const std::string& name, const attr::BatchNorm& a) {
  return append(OpKind::BatchNorm, name, a, {x});
}
ValueId Builder::relu(ValueId x, const std::string& name) { return append(OpKind::Relu, name, attr::None{}, {x}); }
ValueId Builder::sigmoid(ValueId x, const std::string& name) {
  return append(OpKind::Sigmoid, name, attr::None{}, {x});
}
ValueId Builder::max_pool(ValueId x, const std::string& name, const attr::Pool& a) {
  return append(OpKind::MaxPool, name, a, {x});
}
ValueId Builder::avg_pool(ValueId x, const std::string& name, const attr::Pool& a) {
  return append(OpKind::AvgPool, name, a, {x});
}
ValueId Builder::adaptive_avg_pool(ValueId x, const std::string& name, Hw output) {
  return append(OpKind::AdaptiveAvgPool, name, attr::AdaptiveAvgPool{output}, {x});
}
ValueId Builder::global_avg_pool(ValueId x, const std::string& name) {
  return append(OpKind::GlobalAvgPool, name, attr::None{}, {x});
}
ValueId Builder::lrn(ValueId x, const std::string& name, const attr::Lrn& a) {
  return append(OpKind::Lrn, name, a, {x});
}
ValueId Builder::dropout(ValueId x, const std::string& name, double p) {
  return append(OpKind::Dropout, name, attr::Dropout{p}, {x});
}
ValueId Builder::linear(ValueId x, const std::string& name, const attr::Linear& a) {
  return append(OpKind::Linear, name, a, {x});
}
ValueId Builder::flatten(ValueId x, const std::string& name, int64_t axis) {
  return append(OpKind::Flatten, name, attr::Flatten{axis}, {x});
}
ValueId Builder::concat(const std::vector<ValueId>& xs, const std::string& name, int64_t axis) {
  return append(OpKind::Concat, name, attr::Concat{axis}, xs);
}
ValueId Builder::add(const std::vector<ValueId>& xs, const std::string& name) {
  return append(OpKind::Add, name, attr::None{}, xs);
}
ValueId Builder::channel_mul(ValueId x, ValueId scale, const std::string& name) {
  return append(OpKind::ChannelMul, name, attr::None{}, {x, scale});
}
ValueId Builder::channel_pad(ValueId x, const std::string& name, int64_t before, int64_t after) {
  return append(OpKind::ChannelPad, name, attr::ChannelPad{before, after}, {x});
}
ValueId Builder::softmax(ValueId x, const std::string& name, int64_t axis) {
  return append(OpKind::Softmax, name, attr::Softmax{axis}, {x});
}

ValueId Builder::conv_bn_relu(ValueId x, const std::string& conv_name, const attr::Conv& a, const std::string& bn_name,
                              const std::string& relu_name) {
  ValueId y = batch_norm(conv(x, conv_name, a), bn_name);
  return relu_name.empty() ? y : relu(y, relu_name);
}

Graph Builder::finish() {
  verify(graph_);
  return std::move(graph_);
}

}  // namespace cnnzoo
