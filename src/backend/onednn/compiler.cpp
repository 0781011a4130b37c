#include "backend/onednn/compiler.h"

#include <fmt/format.h>

#include <cstring>

#include "cnnzoo/error.h"

namespace cnnzoo::onednn {

memory::dims to_dims(const Dims& d) { return memory::dims(d.begin(), d.end()); }

memory::desc plain_md(const Dims& d, dt type) {
  if (d.size() > DNNL_MAX_NDIMS) throw Error(fmt::format("onednn: rank {} is not supported", d.size()));
  if (d.empty()) return memory::desc({1}, type, tag::a);
  memory::dims strides(d.size(), 1);  // row-major
  for (std::size_t i = d.size() - 1; i > 0; --i) strides[i - 1] = strides[i] * d[i];
  return memory::desc(to_dims(d), type, strides);
}

Lowering::Lowering(const Graph& graph, const Parameters& parameters, Plan& plan, Pass pass)
    : graph_(graph),
      parameters_(parameters),
      plan_(plan),
      states_(graph.values().size()),
      setup_stream_(plan.engine()),
      pass_(pass) {}

Compiler::Compiler(const Graph& graph, const Parameters& parameters, Plan& plan, Fusions fusions)
    : Lowering(graph, parameters, plan, Pass::Inference), fusions_(std::move(fusions)) {}

ValueState& Lowering::state(ValueId v) {
  ValueState& s = states_.at(static_cast<std::size_t>(v));
  if (s.buffer < 0) throw Error(fmt::format("onednn: value '{}' is used before it is computed", graph_.value(v).name));
  return s;
}

void Lowering::set_state(ValueId v, BufferId buffer, const memory::desc& md) {
  states_.at(static_cast<std::size_t>(v)) = {buffer, md};
}

const Tensor& Lowering::param(const Node& node, std::string_view suffix) const {
  const std::string name = fmt::format("{}.{}", node.name, suffix);
  auto it = parameters_.find(name);
  if (it == parameters_.end()) throw Error(fmt::format("parameter '{}' is missing", name));
  for (const ParamSpec& p : node.params) {
    if (p.name == name && p.shape != it->second.shape()) {
      throw ShapeError(fmt::format("parameter '{}': expected shape {}, got {}", name, to_string(p.shape),
                                   to_string(it->second.shape())));
    }
  }
  return it->second;
}

bool Lowering::in_place_over(ValueId v, const Node& user) const {
  return may_overwrite_buffer(graph_, v, id_of(user), id_of(user), pass_);
}

bool Lowering::last_use(ValueId v, NodeId user, NodeId at) const {
  return may_overwrite_buffer(graph_, v, user, at, pass_);
}

BufferId Lowering::reorder(BufferId from, const memory::desc& wanted, const std::string& label) {
  const BufferId to = plan_.add_buffer(wanted, label + ".reorder");
  reorder_into(from, to, label);
  return to;
}

void Lowering::reorder_into(BufferId from, BufferId to, const std::string& label) {
  dnnl::reorder::primitive_desc pd(engine(), plan_.buffer(from).md, engine(), plan_.buffer(to).md);
  Step s{.label = label, .primitive = dnnl::reorder(pd), .args = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}};
  s.is_reorder = true;
  plan_.add_step(std::move(s));
}

BufferId Lowering::input_as(ValueId v, const memory::desc& wanted, const std::string& label) {
  return as_layout(state(v).buffer, wanted, label);
}

BufferId Lowering::as_layout(BufferId from, const memory::desc& wanted, const std::string& label) {
  return plan_.buffer(from).md == wanted ? from : reorder(from, wanted, label);
}

BufferId Lowering::weights(const Tensor& data, const memory::desc& plain, const memory::desc& wanted,
                           const std::string& label) {
  if (static_cast<std::size_t>(data.nbytes()) != plain.get_size()) {
    throw ShapeError(fmt::format("{}: {} bytes of data for a {}-byte weight", label, data.nbytes(), plain.get_size()));
  }
  OwnedBytes storage(wanted.get_size());
  memory src(plain, engine(), read_only_handle(data.bytes()));  // the reorder's source: only read
  memory dst(wanted, engine(), storage.data());
  dnnl::reorder(src, dst).execute(setup_stream_, src, dst);
  setup_stream_.wait();
  return plan_.add_owned(wanted, std::move(storage), label);
}

void Lowering::step(const std::string& label, dnnl::primitive primitive, std::unordered_map<int, BufferId> args) {
  plan_.add_step(Step{.label = label, .primitive = std::move(primitive), .args = std::move(args)});
}

void Compiler::lower(NodeId id) {
  const Node& n = graph().node(id);
  if (fusions_.absorbed.contains(id)) return;
  // One case per op family; a family added to OpFamily without one does not compile (-Werror=switch).
  switch (op_family(n.op)) {
    case OpFamily::Conv:
      return lower_conv(*this, n);
    case OpFamily::Pool:
      return lower_pool(*this, n);
    case OpFamily::BatchNorm:
      return lower_batch_norm(*this, n);
    case OpFamily::Lrn:
      return lower_lrn(*this, n);
    case OpFamily::Activation:
      return lower_eltwise(*this, n);
    case OpFamily::Dropout: {  // the identity at inference
      const ValueState s = state(n.inputs[0]);
      return set_state(n.output, s.buffer, s.md);
    }
    case OpFamily::Linear:
      return lower_linear(*this, n);
    case OpFamily::View:
      return lower_flatten(*this, n);  // flatten and reshape: the same buffer under another shape
    case OpFamily::Concat:
      return lower_concat(*this, n);
    case OpFamily::Add:
      return lower_add(*this, n);
    case OpFamily::ChannelMul:
      return lower_channel_mul(*this, n);
    case OpFamily::ChannelPad:
      return lower_channel_pad(*this, n);
    case OpFamily::Softmax:
      return lower_softmax(*this, n);
    case OpFamily::TensorOp:
      return lower_plain(*this, n);
    case OpFamily::Constant:
      return lower_constant(*this, n);
  }
}

std::vector<BufferId> Compiler::compile(const std::vector<BufferId>& input_buffers) {
  for (std::size_t i = 0; i < input_buffers.size(); ++i) {
    const ValueId in = graph().inputs().at(i);
    set_state(in, input_buffers[i], plain_md(graph().shape(in)));
  }
  for (NodeId id = 0; id < static_cast<NodeId>(graph().nodes().size()); ++id) {
    lower(id);
    // A node's weights are read when it, or the convolution that absorbs it (an earlier node), is lowered.
    if (releasable_ != nullptr) {
      for (const ParamSpec& p : graph().node(id).params) releasable_->erase(p.name);
    }
  }
  std::vector<BufferId> outputs;
  for (ValueId v : graph().outputs()) {
    const BufferId b = input_as(v, plain_md(graph().shape(v)), graph().value(v).name + ".output");
    plan().keep_to_end(b);
    outputs.push_back(b);
  }
  return outputs;
}

}  // namespace cnnzoo::onednn
