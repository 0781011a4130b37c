// Graphs whose samples are independent, and the same graph at another batch size.
#include <fmt/format.h>

#include "cnnzoo/error.h"
#include "cnnzoo/graph.h"
#include "ops/rules.h"

namespace cnnzoo {
namespace {

// The axis an op works along, where it has one; axis 0 mixes samples.
int64_t axis_of(const Node& n) {
  if (const auto* a = std::get_if<attr::Softmax>(&n.attrs)) return a->axis;
  if (const auto* a = std::get_if<attr::Concat>(&n.attrs)) return a->axis;
  if (const auto* a = std::get_if<attr::Flatten>(&n.attrs)) return a->axis;
  return 1;
}

}  // namespace

bool samples_independent(const Graph& g) {
  if (g.inputs().size() != 1) return false;
  const int64_t batch = g.shape(g.inputs()[0]).at(0);
  for (const Node& n : g.nodes()) {
    if (ops::traits(n.op).mixes_batch || axis_of(n) == 0 || g.shape(n.output).empty() ||
        g.shape(n.output)[0] != batch) {
      return false;
    }
  }
  return true;
}

Graph with_batch(const Graph& g, int64_t batch) {
  if (g.inputs().size() != 1) throw Error(fmt::format("{}: only a graph of one input can change its batch", g.name()));
  Graph out(g.name());
  std::vector<ValueId> map(g.values().size(), -1);
  const ValueId in = g.inputs()[0];
  Dims shape = g.shape(in);
  shape.at(0) = batch;
  map[static_cast<std::size_t>(in)] = out.add_input(g.value(in).name, shape);
  for (const Node& n : g.nodes()) {
    std::vector<ValueId> inputs;
    for (ValueId v : n.inputs) inputs.push_back(map[static_cast<std::size_t>(v)]);
    map[static_cast<std::size_t>(n.output)] = out.add_node(n.name, n.op, n.attrs, std::move(inputs));
  }
  for (ValueId v : g.outputs()) out.add_output(map[static_cast<std::size_t>(v)]);
  return out;
}

}  // namespace cnnzoo
