#include "cnnzoo/graph.h"

#include <fmt/format.h>

#include "cnnzoo/checked.h"
#include "cnnzoo/error.h"
#include "ops/rules.h"

namespace cnnzoo {

int64_t dtype_bytes(DType dtype) { return dtype == DType::I64 ? 8 : 4; }

ValueId Graph::add_input(std::string name, Dims shape) {
  for (int64_t d : shape) {
    if (d < 1)
      throw ShapeError(fmt::format("input '{}': every dimension must be >= 1, got {}", name, to_string(shape)));
  }
  check_shape_limits(shape, fmt::format("input '{}'", name));
  const auto id = static_cast<ValueId>(values_.size());
  values_.push_back(Value{std::move(name), std::move(shape), kNoNode, {}});
  inputs_.push_back(id);
  return id;
}

ValueId Graph::add_node(std::string name, OpKind op, Attrs attrs, std::vector<ValueId> inputs) {
  if (node_by_name_.contains(name)) throw GraphError(fmt::format("{}: a node of this name already exists", name));
  const ops::OpRules& rule = ops::rules(op);
  if (!rule.attrs_fit(attrs))
    throw GraphError(fmt::format("{}: attributes of the wrong kind for op {}", name, rule.name));
  std::vector<Dims> in;
  in.reserve(inputs.size());
  for (ValueId v : inputs) {
    if (v < 0 || static_cast<std::size_t>(v) >= values_.size()) {
      throw GraphError(fmt::format("{}: input value {} does not exist", name, v));
    }
    in.push_back(values_[static_cast<std::size_t>(v)].shape);
  }
  if (nodes_.size() >= kMaxNodes) {
    throw GraphError(fmt::format("{}: graph '{}' would have more than {} nodes, the most supported (docs/counting.md)",
                                 name, name_, kMaxNodes));
  }
  const ops::OpContext ctx{name, attrs, in};
  Dims out_shape;
  std::vector<ops::ParamShape> declared;
  try {
    out_shape = rule.shape(ctx);
    declared = rule.params(ctx);
  } catch (const OverflowError& e) {
    throw OverflowError(fmt::format("{}: {}", name, e.what()));  // the arithmetic does not know the node
  }
  check_shape_limits(out_shape, name);
  std::vector<ParamSpec> params;
  for (ops::ParamShape& p : declared) {
    check_shape_limits(p.shape, name + "." + p.suffix);
    params.push_back(ParamSpec{name + "." + p.suffix, std::move(p.shape), p.kind, p.dtype});
  }

  const auto node_id = static_cast<NodeId>(nodes_.size());
  const auto out_id = static_cast<ValueId>(values_.size());
  for (ValueId v : inputs) values_[static_cast<std::size_t>(v)].consumers.push_back(node_id);
  values_.push_back(Value{name, std::move(out_shape), node_id, {}});
  node_by_name_.emplace(name, node_id);
  nodes_.push_back(Node{std::move(name), op, std::move(attrs), std::move(inputs), out_id, std::move(params)});
  return out_id;
}

void Graph::add_output(ValueId value) {
  if (value < 0 || static_cast<std::size_t>(value) >= values_.size()) {
    throw GraphError(fmt::format("graph '{}': output value {} does not exist", name_, value));
  }
  outputs_.push_back(value);
}

std::optional<NodeId> Graph::only_consumer(ValueId v, OpKind op) const {
  const Value& read = value(v);
  if (read.consumers.size() != 1 || is_output(v)) return std::nullopt;
  const NodeId consumer = read.consumers[0];
  if (node(consumer).op != op) return std::nullopt;
  return consumer;
}

std::optional<NodeId> Graph::find_node(std::string_view name) const {
  auto it = node_by_name_.find(std::string(name));
  if (it == node_by_name_.end()) return std::nullopt;
  return it->second;
}

}  // namespace cnnzoo
