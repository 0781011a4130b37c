// Ops that combine values: concat, add, the SE channel product, and zero channel padding.
#include <fmt/format.h>

#include <cstring>

#include "backend/onednn/compiler.h"
#include "backend/onednn/plain_fallback.h"

namespace cnnzoo::onednn {

void lower_concat(Lowering& lowering, const Node& n) {
  const auto& a = std::get<attr::Concat>(n.attrs);
  // oneDNN concatenates sources of one data type (and, in int8, one scale): an input of another (a float32
  // fallback's output in a bf16 plan) is converted, in plain layout; in an int8 plan each input is brought
  // to the concatenation's own calibrated type and scale, which the convolutions before it already write.
  dt type = lowering.state(n.inputs[0]).md.data_type();
  float scale = 1.0f;
  if (lowering.int8()) {
    const ValueRange& r = lowering.range(n.output);
    type = r.unsigned_int8() ? dt::u8 : dt::s8;
    scale = r.scale();
  }
  std::vector<memory::desc> srcs;
  std::unordered_map<int, BufferId> args;
  for (std::size_t i = 0; i < n.inputs.size(); ++i) {
    const ValueId v = n.inputs[i];
    const ValueState& s = lowering.state(v);
    BufferId buffer = s.buffer;
    memory::desc md = s.md;
    if (lowering.int8()) {
      md = with_type(md, type);
      buffer = lowering.input_quantized(v, md, scale, n.name);
    } else if (md.data_type() != type) {
      md = plain_md(lowering.graph().shape(v), type);
      buffer = lowering.input_as(v, md, n.name);
    }
    srcs.push_back(md);
    args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i)] = buffer;
  }
  dnnl::concat::primitive_desc pd(static_cast<int>(a.axis), srcs, lowering.engine());
  const BufferId dst = lowering.plan().add_buffer(pd.dst_desc(), n.name);
  args[DNNL_ARG_DST] = dst;
  lowering.step(n.name, dnnl::concat(pd), std::move(args));
  lowering.set_state(n.output, dst, pd.dst_desc(), scale);
}

void lower_add(Lowering& lowering, const Node& n) {
  for (ValueId v : n.inputs) {
    if (lowering.graph().shape(v) != lowering.graph().shape(n.output))
      return lower_binary(lowering, n);  // inputs that broadcast (the reference kernel for more than two)
  }
  // Every input in the first input's layout, summed with unit scales.
  const memory::desc md = lowering.state(n.inputs[0]).md;
  std::vector<memory::desc> srcs;
  std::unordered_map<int, BufferId> args;
  for (std::size_t i = 0; i < n.inputs.size(); ++i) {
    srcs.push_back(md);
    args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i)] = lowering.input_as(n.inputs[i], md, n.name);
  }
  dnnl::sum::primitive_desc pd(md, std::vector<float>(n.inputs.size(), 1.0f), srcs, lowering.engine());
  const BufferId dst = lowering.plan().add_buffer(pd.dst_desc(), n.name);
  args[DNNL_ARG_DST] = dst;
  lowering.step(n.name, dnnl::sum(pd), std::move(args));
  lowering.set_state(n.output, dst, pd.dst_desc());
}

void lower_channel_mul(Compiler& compiler, const Node& n) {
  const ValueState x = compiler.state(n.inputs[0]);
  const ValueState s = compiler.state(n.inputs[1]);
  dnnl::binary::desc desc(dnnl::algorithm::binary_mul, x.md, s.md, x.md);
  dnnl::binary::primitive_desc pd(desc, compiler.engine());
  const BufferId dst =
      compiler.in_place_over(n.inputs[0], n) ? x.buffer : compiler.plan().add_buffer(pd.dst_desc(), n.name);
  compiler.step(n.name, dnnl::binary(pd),
                {{DNNL_ARG_SRC_0, x.buffer}, {DNNL_ARG_SRC_1, s.buffer}, {DNNL_ARG_DST, dst}});
  compiler.set_state(n.output, dst, pd.dst_desc());
}

void lower_channel_pad(Lowering& lowering, const Node& n) {
  const auto& a = std::get<attr::ChannelPad>(n.attrs);
  plain_step(lowering, n, [a](ref::In<float> x, ref::Out<float> y) { ref::channel_pad_forward(a, x, y); });
}

}  // namespace cnnzoo::onednn
