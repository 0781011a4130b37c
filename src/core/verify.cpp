// The verifier re-derives what add_node established, so a graph changed after building (or built by
// an importer) is held to the same invariants.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "cnnzoo/checked.h"
#include "cnnzoo/error.h"
#include "cnnzoo/graph.h"
#include "ops/rules.h"

namespace cnnzoo {
namespace {

[[noreturn]] void invalid(const Graph& g, const std::string& what) {
  throw GraphError(fmt::format("graph '{}' is invalid: {}", g.name(), what));
}

void verify_node(const Graph& g, NodeId id, std::unordered_set<std::string>& param_names) {
  const Node& n = g.node(id);
  const ops::OpRules& rule = ops::rules(n.op);
  if (!rule.attrs_fit(n.attrs))
    invalid(g, fmt::format("{}: attributes of the wrong kind for op {}", n.name, rule.name));
  std::vector<Dims> in;
  for (ValueId v : n.inputs) {
    if (v < 0 || static_cast<std::size_t>(v) >= g.values().size())
      invalid(g, fmt::format("{}: unknown input {}", n.name, v));
    const Value& value = g.value(v);
    // Insertion order is the topological order: an input must come from an earlier node.
    if (value.producer != kNoNode && value.producer >= id) {
      invalid(g, fmt::format("{}: input '{}' is produced later, by node {}", n.name, value.name, value.producer));
    }
    if (std::find(value.consumers.begin(), value.consumers.end(), id) == value.consumers.end()) {
      invalid(g, fmt::format("{}: input '{}' does not list it as a consumer", n.name, value.name));
    }
    in.push_back(value.shape);
  }
  const ops::OpContext ctx{n.name, n.attrs, in};
  Dims expected;
  try {
    expected = rule.shape(ctx);
  } catch (const OverflowError& e) {
    invalid(g, fmt::format("{}: {}", n.name, e.what()));
  }
  check_shape_limits(expected, n.name);
  const Value& out = g.value(n.output);
  if (out.producer != id) invalid(g, fmt::format("{}: its output value names another producer", n.name));
  if (out.shape != expected) {
    invalid(g, fmt::format("{}: output shape {} differs from the inferred {}", n.name, to_string(out.shape),
                           to_string(expected)));
  }
  const auto declared = rule.params(ctx);
  if (declared.size() != n.params.size()) invalid(g, fmt::format("{}: wrong number of parameters", n.name));
  for (std::size_t i = 0; i < declared.size(); ++i) {
    const ParamSpec& p = n.params[i];
    if (p.shape != declared[i].shape || p.name != n.name + "." + declared[i].suffix) {
      invalid(g, fmt::format("{}: parameter '{}' does not match its op's rule", n.name, p.name));
    }
    if (!param_names.insert(p.name).second) invalid(g, fmt::format("parameter name '{}' is used twice", p.name));
  }
}

}  // namespace

void verify(const Graph& g) {
  if (g.inputs().empty()) invalid(g, "it has no input");
  if (g.outputs().empty()) invalid(g, "it has no output");
  if (g.nodes().size() > kMaxNodes)
    invalid(g, fmt::format("it has {} nodes, more than the {} supported", g.nodes().size(), kMaxNodes));
  for (ValueId v : g.inputs()) check_shape_limits(g.shape(v), fmt::format("input '{}'", g.value(v).name));
  std::unordered_set<std::string> node_names;
  std::unordered_set<std::string> param_names;
  for (NodeId id = 0; id < static_cast<NodeId>(g.nodes().size()); ++id) {
    if (!node_names.insert(g.node(id).name).second)
      invalid(g, fmt::format("node name '{}' is used twice", g.node(id).name));
    verify_node(g, id, param_names);
  }
}

bool op_trains(OpKind op) { return ops::traits(op).trains; }

void require_trainable(const Graph& g) {
  for (const Node& n : g.nodes()) {
    if (!op_trains(n.op)) {
      throw Error(fmt::format("{}: op {} cannot be trained (training supports the zoo's ops; {} is inference only)",
                              n.name, op_name(n.op), op_name(n.op)));
    }
    // oneDNN 2.6 makes no backward primitive for a dilated pooling window ("could not create a descriptor"), though
    // its forward runs: such a pooling (an imported ONNX MaxPool's dilations) is inference only.
    const auto* pool = std::get_if<attr::Pool>(&n.attrs);
    if (pool != nullptr && pool->dilation != Hw(1)) {
      throw Error(fmt::format("{}: a dilated pooling window ({}) cannot be trained (oneDNN has no backward for it)",
                              n.name, to_string(pool->dilation)));
    }
    for (ValueId v : n.inputs) {
      if (n.op == OpKind::Add && g.shape(v) != g.shape(n.output)) {
        throw Error(fmt::format("{}: add of broadcast inputs ({} to {}) cannot be trained", n.name,
                                to_string(g.shape(v)), to_string(g.shape(n.output))));
      }
    }
  }
}

}  // namespace cnnzoo
