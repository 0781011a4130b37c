#include "backend/onednn/compiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "backend/onednn/pool_geometry.h"
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

memory::desc with_type(const memory::desc& md, dt type) {
  memory::desc out = md;
  out.data.data_type = memory::convert_to_c(type);
  return out;
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

void Lowering::set_state(ValueId v, BufferId buffer, const memory::desc& md, float scale) {
  states_.at(static_cast<std::size_t>(v)) = {buffer, md, scale};
}

const ValueRange& Lowering::range(ValueId v) const {
  const std::string& name = graph_.value(v).name;
  const auto it = quantization_->ranges.find(name);
  if (it == quantization_->ranges.end()) {
    throw InvalidArgument(fmt::format("int8: no calibrated range for '{}'; calibrate this very model", name));
  }
  return it->second;
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

BufferId Lowering::reorder(BufferId from, const memory::desc& wanted, const std::string& label, float scale) {
  const BufferId to = plan_.add_buffer(wanted, label + ".reorder");
  reorder_into(from, to, label, scale);
  return to;
}

void Lowering::reorder_into(BufferId from, BufferId to, const std::string& label, float scale) {
  dnnl::primitive_attr attr;
  if (scale != 1.0f) attr.set_output_scales(0, {scale});  // (de)quantization: to = scale * from
  dnnl::reorder::primitive_desc pd(engine(), plan_.buffer(from).md, engine(), plan_.buffer(to).md, attr);
  Step s{.label = label, .primitive = dnnl::reorder(pd), .args = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}};
  s.is_reorder = true;
  plan_.add_step(std::move(s));
}

BufferId Lowering::input_as(ValueId v, const memory::desc& wanted, const std::string& label) {
  const ValueState& s = state(v);
  const bool to_int8 = is_int8(wanted.data_type());
  if (to_int8 && !is_int8(s.md.data_type())) {
    throw Error(fmt::format("onednn: float value '{}' wanted as int8 without a scale", graph_.value(v).name));
  }
  // Into int8 at the value's own scale; into a float type at scale 1 (an int8 value dequantized).
  return input_quantized(v, wanted, to_int8 ? s.scale : 1.0f, label);
}

BufferId Lowering::input_quantized(ValueId v, const memory::desc& wanted, float scale, const std::string& label) {
  const ValueState& s = state(v);
  if (s.md == wanted && s.scale == scale) return s.buffer;
  return reorder(s.buffer, wanted, label, s.scale / scale);
}

BufferId Lowering::as_layout(BufferId from, const memory::desc& wanted, const std::string& label) {
  return plan_.buffer(from).md == wanted ? from : reorder(from, wanted, label);
}

BufferId Lowering::weights(const Tensor& data, const memory::desc& plain, const memory::desc& wanted,
                           const std::string& label, const std::vector<float>& scales, int mask) {
  return weights(std::span(data.bytes(), static_cast<std::size_t>(data.nbytes())), plain, wanted, label, scales, mask);
}

BufferId Lowering::weights(std::span<const std::byte> data, const memory::desc& plain, const memory::desc& wanted,
                           const std::string& label, const std::vector<float>& scales, int mask) {
  if (data.size() != plain.get_size()) {
    throw ShapeError(fmt::format("{}: {} bytes of data for a {}-byte weight", label, data.size(), plain.get_size()));
  }
  OwnedBytes storage(wanted.get_size());
  memory src(plain, engine(), read_only_handle(data.data()));  // the reorder's source: only read
  memory dst(wanted, engine(), storage.data());
  dnnl::primitive_attr attr;
  if (!scales.empty()) attr.set_output_scales(mask, scales);
  dnnl::reorder(dnnl::reorder::primitive_desc(engine(), plain, engine(), wanted, attr))
      .execute(setup_stream_, src, dst);
  setup_stream_.wait();
  return plan_.add_owned(wanted, std::move(storage), label);
}

Dims with_leading_ones(const Dims& shape, std::size_t rank) {
  Dims ranked(rank > shape.size() ? rank - shape.size() : 0, 1);
  ranked.insert(ranked.end(), shape.begin(), shape.end());
  return ranked;
}

const float* constant_floats(Lowering& lowering, ValueId v) {
  const ValueState& s = lowering.state(v);
  if (s.md != plain_md(lowering.graph().shape(v))) return nullptr;
  return reinterpret_cast<const float*>(lowering.plan().owned_data(s.buffer));
}

void Lowering::step(const std::string& label, dnnl::primitive primitive, std::unordered_map<int, BufferId> args) {
  plan_.add_step(Step{.label = label, .primitive = std::move(primitive), .args = std::move(args)});
}

void Compiler::lower(NodeId id) {
  const Node& n = graph().node(id);
  if (fusions_.absorbed.contains(id)) return;
  if (!int8() || takes_int8(n)) return lower_family(n);
  // An op without int8 kernels here runs in float32: the int8 values its step reads (its inputs, and those of the
  // nodes it computes: a written-out GELU's or layer norm's x, the operands of a MatMul before a bias) are dequantized
  // for it, while other readers still see them in int8.
  std::vector<std::pair<ValueId, ValueState>> int8_inputs;
  std::vector<ValueId> reads = n.inputs;
  if (const auto gelu = fusions_.gelu.find(id); gelu != fusions_.gelu.end()) reads.push_back(gelu->second);
  if (const auto norm = fusions_.layer_norm.find(id); norm != fusions_.layer_norm.end()) {
    reads.push_back(norm->second.x);
  }
  if (const auto matmul = fusions_.matmul_bias.find(id); matmul != fusions_.matmul_bias.end()) {
    const std::vector<ValueId>& operands = graph().node(matmul->second).inputs;
    reads.insert(reads.end(), operands.begin(), operands.end());
  }
  for (ValueId v : reads) {
    const ValueState s = state(v);
    if (!is_int8(s.md.data_type()) ||
        std::any_of(int8_inputs.begin(), int8_inputs.end(), [v](const auto& p) { return p.first == v; })) {
      continue;
    }
    int8_inputs.emplace_back(v, s);
    const ValueState f = dequantized(v);
    set_state(v, f.buffer, f.md);
  }
  lower_family(n);
  for (const auto& [v, s] : int8_inputs) set_state(v, s.buffer, s.md, s.scale);
}

ValueState Compiler::dequantized(ValueId v) {
  if (const auto it = dequantized_.find(v); it != dequantized_.end()) return it->second;
  const ValueState& s = state(v);
  const memory::desc md = with_type(s.md, dt::f32);
  const ValueState f{reorder(s.buffer, md, graph().value(v).name + ".dequantize", s.scale), md, 1.0f};
  dequantized_.emplace(v, f);
  return f;
}

bool Compiler::takes_int8(const Node& n) const {
  switch (op_family(n.op)) {
    case OpFamily::Conv:
    case OpFamily::Linear:
    case OpFamily::Concat:
    case OpFamily::View:
    case OpFamily::Dropout:
      return true;
    case OpFamily::Pool:
      return !pool_geometry(graph(), n).fallback;  // the fallback's reference kernel is float32
    case OpFamily::BatchNorm:
    case OpFamily::Lrn:
    case OpFamily::Activation:
    case OpFamily::Softmax:
    case OpFamily::Add:
    case OpFamily::ChannelMul:
    case OpFamily::ChannelPad:
    case OpFamily::ChannelAffine:
    case OpFamily::TensorOp:
    case OpFamily::Constant:
      return false;
  }
  return false;
}

std::optional<std::pair<dt, float>> Compiler::int8_output(ValueId v) const {
  const std::vector<NodeId>& readers = graph().value(v).consumers;
  // A residual add fused into a convolution reads its operand in int8 too.
  const auto reads_int8 = [this](NodeId r) {
    return takes_int8(graph().node(r)) || (graph().node(r).op == OpKind::Add && fusions_.absorbed.contains(r));
  };
  if (graph().is_output(v) || std::none_of(readers.begin(), readers.end(), reads_int8)) {
    return std::nullopt;
  }
  // A concatenation's lone input is written at the concatenation's scale: it then concatenates as it is.
  ValueId ranged = v;
  if (readers.size() == 1 && graph().node(readers[0]).op == OpKind::Concat) ranged = graph().node(readers[0]).output;
  const ValueRange& r = range(ranged);
  return std::pair(r.unsigned_int8() ? dt::u8 : dt::s8, r.scale());
}

void Compiler::lower_family(const Node& n) {
  if (const auto gelu = fusions_.gelu.find(id_of(n)); gelu != fusions_.gelu.end()) {
    return lower_gelu(*this, n, gelu->second);
  }
  if (const auto norm = fusions_.layer_norm.find(id_of(n)); norm != fusions_.layer_norm.end()) {
    return layer_norm_step(*this, n, norm->second);
  }
  if (const auto matmul = fusions_.matmul_bias.find(id_of(n)); matmul != fusions_.matmul_bias.end()) {
    return lower_matmul_with_bias(*this, graph().node(matmul->second), n);
  }
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
      return set_state(n.output, s.buffer, s.md, s.scale);
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
    case OpFamily::ChannelAffine:
      return lower_channel_affine(*this, n);
    case OpFamily::Softmax:
      return lower_softmax(*this, n);
    case OpFamily::TensorOp:
      if (n.op == OpKind::Mul || n.op == OpKind::Sub || n.op == OpKind::Div || n.op == OpKind::Pow) {
        return lower_binary(*this, n);
      }
      if (n.op == OpKind::MatMul) return lower_matmul(*this, n);
      if (n.op == OpKind::Resize) return lower_resize(*this, n);
      if (n.op == OpKind::Transpose) return lower_transpose(*this, n);
      if (n.op == OpKind::Slice) return lower_slice(*this, n);
      if (n.op == OpKind::ReduceMean || n.op == OpKind::ReduceSum) return lower_reduce(*this, n);
      if (n.op == OpKind::Clip) return lower_clip(*this, n);
      if (n.op == OpKind::LayerNorm) return lower_layer_norm(*this, n);
      if (n.inputs.size() == 1) return lower_function(*this, n);  // it takes what it runs on oneDNN
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
