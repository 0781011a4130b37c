#include "cnnzoo/buffer_sharing.h"

#include <algorithm>

#include "ops/rules.h"

namespace cnnzoo {

bool is_view(OpKind op, Pass pass) {
  const ops::OpTraits& t = ops::traits(op);
  return pass == Pass::Inference ? t.view_at_inference : t.view_in_training;
}

ValueId buffer_owner(const Graph& g, ValueId v, Pass pass) {
  for (NodeId p = g.value(v).producer; p != kNoNode && is_view(g.node(p).op, pass); p = g.value(v).producer) {
    v = g.node(p).inputs.at(0);
  }
  return v;
}

std::vector<ValueId> buffer_sharers(const Graph& g, ValueId owner, Pass pass) {
  std::vector<ValueId> sharers{owner};
  for (std::size_t i = 0; i < sharers.size(); ++i) {  // grows as views of views are found
    for (NodeId c : g.value(sharers[i]).consumers) {
      const Node& n = g.node(c);
      if (is_view(n.op, pass) && n.inputs.at(0) == sharers[i]) sharers.push_back(n.output);
    }
  }
  return sharers;
}

std::vector<NodeId> buffer_readers(const Graph& g, ValueId v, Pass pass) {
  std::vector<NodeId> readers;
  for (ValueId s : buffer_sharers(g, buffer_owner(g, v, pass), pass)) {
    for (NodeId c : g.value(s).consumers) {
      const bool views_it = is_view(g.node(c).op, pass) && g.node(c).inputs.at(0) == s;  // its readers count
      if (!views_it && std::find(readers.begin(), readers.end(), c) == readers.end()) readers.push_back(c);
    }
  }
  return readers;
}

bool may_overwrite_buffer(const Graph& g, ValueId v, NodeId user, NodeId at, Pass pass) {
  const ValueId owner = buffer_owner(g, v, pass);
  const NodeId producer = g.value(owner).producer;
  if (producer == kNoNode || g.node(producer).op == OpKind::Constant) return false;
  const std::vector<ValueId> sharers = buffer_sharers(g, owner, pass);
  if (std::any_of(sharers.begin(), sharers.end(), [&](ValueId s) { return g.is_output(s); })) return false;
  const std::vector<NodeId> readers = buffer_readers(g, owner, pass);
  return std::all_of(readers.begin(), readers.end(), [&](NodeId r) { return r == user || r < at; });
}

}  // namespace cnnzoo
