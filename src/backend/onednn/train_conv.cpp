// Convolution and linear layers: forward training, backward data, backward weights (and bias).
#include <functional>

#include "backend/onednn/trainer.h"

namespace cnnzoo::onednn {
namespace {

using dnnl::prop_kind;

// Activations and weights in the plan's activation type (bf16 in mixed precision), any layout.
memory::desc any(const Trainer& t, const Dims& d) { return memory::desc(to_dims(d), t.activation_type(), tag::any); }
// Weight gradients stay float32 in every precision: the optimizer updates float32 master weights.
memory::desc any_f32(const Dims& d) { return memory::desc(to_dims(d), dt::f32, tag::any); }

struct ConvGeometry {
  memory::desc weights_plain;
  memory::dims strides, dilation, pad_l, pad_r;
};

ConvGeometry geometry(const Trainer& t, const Node& n) {
  const auto& a = std::get<attr::Conv>(n.attrs);
  const Dims& x = t.graph().shape(n.inputs[0]);
  const int64_t out = t.graph().shape(n.output)[1];
  const Hw end = a.effective_pad_end();
  memory::desc w = plain_md({out, x[1] / a.groups, a.kernel.h, a.kernel.w});
  if (a.groups > 1) {
    w = memory::desc({a.groups, out / a.groups, x[1] / a.groups, a.kernel.h, a.kernel.w}, dt::f32, tag::goihw);
  }
  return {w, {a.stride.h, a.stride.w}, {a.dilation.h - 1, a.dilation.w - 1}, {a.pad.h, a.pad.w}, {end.h, end.w}};
}

memory::desc bias_md(const Node& n, const Graph& g) { return memory::desc({g.shape(n.output)[1]}, dt::f32, tag::a); }

bool has_bias(const Node& n) {
  return n.op == OpKind::Conv ? std::get<attr::Conv>(n.attrs).bias : std::get<attr::Linear>(n.attrs).bias;
}

// A zero bias for layers without one: oneDNN's primitives here always take a bias argument.
BufferId bias_buffer(Trainer& t, const Node& n) {
  const memory::desc md = bias_md(n, t.graph());
  if (has_bias(n)) return t.parameter(n, "bias", md);
  return t.weights(Tensor(Dims{t.graph().shape(n.output)[1]}), md, md, n.name + ".no_bias");
}

// The backward pass both layers share: weights (and bias) gradients, then the input's gradient from
// `data_pd`, which is only built when the input needs one.
template <typename BackwardWeights, typename BackwardData>
void backward_layer(Trainer& t, const Node& n, const typename BackwardWeights::primitive_desc& wpd,
                    const std::function<typename BackwardData::primitive_desc()>& data_pd,
                    const memory::desc& weights_plain) {
  const ValueState dy = *t.gradient(n.output);
  const BufferId dw = t.plan().add_buffer(wpd.diff_weights_desc(), n.name + ".dweight");
  const BufferId db = has_bias(n) ? t.gradient_of(n, "bias", bias_md(n, t.graph()))
                                  : t.plan().add_buffer(bias_md(n, t.graph()), n.name + ".dbias_unused");
  t.step(n.name, BackwardWeights(wpd),
         {{DNNL_ARG_SRC, t.input_for_backward(n, 0, wpd.src_desc())},
          {DNNL_ARG_DIFF_DST, t.as_layout(dy.buffer, wpd.diff_dst_desc(), n.name)},
          {DNNL_ARG_DIFF_WEIGHTS, dw},
          {DNNL_ARG_DIFF_BIAS, db}});
  t.store_gradient(n, "weight", dw, weights_plain);

  if (!t.wants_gradient(n.inputs[0])) return;
  const auto dpd = data_pd();
  const BufferId dx = t.plan().add_buffer(dpd.diff_src_desc(), n.name + ".dx");
  t.step(n.name, BackwardData(dpd),
         {{DNNL_ARG_DIFF_DST, t.as_layout(dy.buffer, dpd.diff_dst_desc(), n.name)},
          {DNNL_ARG_WEIGHTS, t.parameter_as(n, "weight", weights_plain, dpd.weights_desc())},
          {DNNL_ARG_DIFF_SRC, dx}});
  t.add_gradient(n.inputs[0], dx, n.name);
}

}  // namespace

void forward_conv(Trainer& t, const Node& n) {
  const ConvGeometry geo = geometry(t, n);
  const Dims& x = t.graph().shape(n.inputs[0]);
  const Dims& y = t.graph().shape(n.output);
  dnnl::convolution_forward::desc desc(prop_kind::forward_training, dnnl::algorithm::convolution_direct, any(t, x),
                                       any(t, geo.weights_plain.dims()), bias_md(n, t.graph()), any(t, y), geo.strides,
                                       geo.dilation, geo.pad_l, geo.pad_r);
  dnnl::convolution_forward::primitive_desc pd(desc, t.engine());
  Saved& s = t.saved(n);
  s.inputs = {t.input_as(n.inputs[0], pd.src_desc(), n.name)};
  const BufferId weights = t.parameter_as(n, "weight", geo.weights_plain, pd.weights_desc());
  s.output = t.plan().add_buffer(pd.dst_desc(), n.name);
  s.forward = pd;
  t.step(n.name, dnnl::convolution_forward(pd),
         {{DNNL_ARG_SRC, s.inputs[0]},
          {DNNL_ARG_WEIGHTS, weights},
          {DNNL_ARG_BIAS, bias_buffer(t, n)},
          {DNNL_ARG_DST, s.output}});
  t.set_state(n.output, s.output, pd.dst_desc());
}

BufferId recompute_conv(Trainer& t, const Node& n) {
  const auto& fwd = t.saved(n).forward_as<dnnl::convolution_forward::primitive_desc>(n);
  const BufferId dst = t.plan().add_buffer(fwd.dst_desc(), n.name + ".recomputed");
  t.step(n.name + ".recompute", dnnl::convolution_forward(fwd),
         {{DNNL_ARG_SRC, t.input_for_backward(n, 0, fwd.src_desc())},
          {DNNL_ARG_WEIGHTS, t.parameter_as(n, "weight", geometry(t, n).weights_plain, fwd.weights_desc())},
          {DNNL_ARG_BIAS, bias_buffer(t, n)},
          {DNNL_ARG_DST, dst}});
  return dst;
}

void backward_conv(Trainer& t, const Node& n) {
  const ConvGeometry geo = geometry(t, n);
  const memory::desc x = any(t, t.graph().shape(n.inputs[0]));
  const memory::desc y = any(t, t.graph().shape(n.output));
  const memory::desc w = any(t, geo.weights_plain.dims());
  const auto& fwd = t.saved(n).forward_as<dnnl::convolution_forward::primitive_desc>(n);
  const dnnl::convolution_backward_weights::desc wdesc(dnnl::algorithm::convolution_direct, x,
                                                       any_f32(geo.weights_plain.dims()), bias_md(n, t.graph()), y,
                                                       geo.strides, geo.dilation, geo.pad_l, geo.pad_r);
  backward_layer<dnnl::convolution_backward_weights, dnnl::convolution_backward_data>(
      t, n, {wdesc, t.engine(), fwd},
      [&] {
        const dnnl::convolution_backward_data::desc ddesc(dnnl::algorithm::convolution_direct, x, w, y, geo.strides,
                                                          geo.dilation, geo.pad_l, geo.pad_r);
        return dnnl::convolution_backward_data::primitive_desc(ddesc, t.engine(), fwd);
      },
      geo.weights_plain);
}

void forward_linear(Trainer& t, const Node& n) {
  const Dims& x = t.graph().shape(n.inputs[0]);
  const Dims& y = t.graph().shape(n.output);
  const Dims w{y[1], x[1]};
  dnnl::inner_product_forward::desc desc(prop_kind::forward_training, any(t, x), any(t, w), bias_md(n, t.graph()),
                                         any(t, y));
  dnnl::inner_product_forward::primitive_desc pd(desc, t.engine());
  Saved& s = t.saved(n);
  s.inputs = {t.input_as(n.inputs[0], pd.src_desc(), n.name)};
  const BufferId weights = t.parameter_as(n, "weight", plain_md(w), pd.weights_desc());
  s.output = t.plan().add_buffer(pd.dst_desc(), n.name);
  s.forward = pd;
  t.step(n.name, dnnl::inner_product_forward(pd),
         {{DNNL_ARG_SRC, s.inputs[0]},
          {DNNL_ARG_WEIGHTS, weights},
          {DNNL_ARG_BIAS, bias_buffer(t, n)},
          {DNNL_ARG_DST, s.output}});
  t.set_state(n.output, s.output, pd.dst_desc());
}

void backward_linear(Trainer& t, const Node& n) {
  const Dims& xs = t.graph().shape(n.inputs[0]);
  const Dims& ys = t.graph().shape(n.output);
  const Dims ws{ys[1], xs[1]};
  const auto& fwd = t.saved(n).forward_as<dnnl::inner_product_forward::primitive_desc>(n);
  const dnnl::inner_product_backward_weights::desc wdesc(any(t, xs), any_f32(ws), bias_md(n, t.graph()), any(t, ys));
  backward_layer<dnnl::inner_product_backward_weights, dnnl::inner_product_backward_data>(
      t, n, {wdesc, t.engine(), fwd},
      [&] {
        const dnnl::inner_product_backward_data::desc ddesc(any(t, xs), any(t, ws), any(t, ys));
        return dnnl::inner_product_backward_data::primitive_desc(ddesc, t.engine(), fwd);
      },
      plain_md(ws));
}

}  // namespace cnnzoo::onednn
