#include "backend/onednn/trainer.h"

#include <fmt/format.h>

#include <cmath>

#include "cnnzoo/error.h"
#include "cnnzoo/training_storage.h"

namespace cnnzoo::onednn {

Trainer::Trainer(const Graph& graph, Parameters& parameters, Parameters& gradients, Plan& plan,
                 const TrainingOptions& options, TrainingState& state)
    : Lowering(graph, parameters, plan, Pass::Training),
      parameters_(parameters),
      gradients_(gradients),
      options_(options),
      state_(state),
      saved_(graph.nodes().size()),
      gradients_of_values_(graph.values().size()) {
  if (options.precision == Precision::BF16) set_activation_type(dt::bf16);
}

Tensor& Trainer::writable_param(const Node& n, std::string_view suffix) {
  param(n, suffix);  // checks the name and shape
  return parameters_.at(fmt::format("{}.{}", n.name, suffix));
}

BufferId Trainer::parameter(const Node& n, std::string_view suffix, const memory::desc& md) {
  return plan().add_external(md, writable_param(n, suffix).bytes(), fmt::format("{}.{}", n.name, suffix));
}

BufferId Trainer::parameter_as(const Node& n, std::string_view suffix, const memory::desc& plain,
                               const memory::desc& wanted) {
  return as_layout(parameter(n, suffix, plain), wanted, fmt::format("{}.{}", n.name, suffix));
}

BufferId Trainer::gradient_of(const Node& n, std::string_view suffix, const memory::desc& md) {
  const std::string name = fmt::format("{}.{}", n.name, suffix);
  if (options_.fused_update) {
    const BufferId g = plan().add_buffer(md, name + ".grad");
    pending_updates_.emplace_back(name, g);
    return g;
  }
  return plan().add_external(md, gradients_.at(name).bytes(), name + ".grad");
}

void Trainer::update_step(const std::string& name, const std::vector<BufferId>& reads,
                          std::function<std::span<const float>()> gradient) {
  Tensor& param = parameters_.at(name);
  TrainingState& state = state_;
  custom(name + ".update", reads, [&state, &param, name, gradient = std::move(gradient)] {
    // First, whatever the loss: data parallel, this waits for the gradient's sum, which must end within the step.
    const std::span<const float> g = gradient();
    // A step whose loss is not finite leaves the weights as they were (the caller stops on it).
    for (double loss : state.losses) {
      if (!std::isfinite(loss)) return;
    }
    state.optimizer->update(name, param.f32(), g);
  });
  updated_.insert(name);
}

void Trainer::update_step(const std::string& name, BufferId gradient) {
  const auto count = static_cast<std::size_t>(parameters_.at(name).numel());
  Plan& steps = plan();
  update_step(name, {gradient}, [&steps, gradient, count] {
    return std::span<const float>(static_cast<const float*>(steps.data(gradient)), count);
  });
}

void Trainer::exchange_gradient(const std::string& name, BufferId gradient) {
  GradientExchange& exchange = *state_.exchange;
  const GradientExchange::Slot slot = exchange.add(static_cast<std::size_t>(parameters_.at(name).numel()));
  Plan& steps = plan();
  custom(name + ".to_bucket", {gradient}, [&exchange, &steps, slot, gradient] {
    exchange.copy_in(slot, static_cast<const float*>(steps.data(gradient)));
  });
  exchanged_.emplace_back(name, slot);
  if (exchange.open_bucket_full()) start_open_bucket();
}

void Trainer::start_open_bucket() {
  GradientExchange& exchange = *state_.exchange;
  const std::size_t bucket = exchange.close_bucket();
  custom(fmt::format("gradients.bucket{}.start_sum", bucket), {}, [&exchange, bucket] { exchange.start(bucket); });
}

// The end of a data-parallel backward pass: the last bucket starts, then each update waits for its
// bucket's sum. The losses' sum comes first: an update checks that the job's loss is finite.
void Trainer::exchanged_updates() {
  GradientExchange& exchange = *state_.exchange;
  if (exchange.has_open_bucket()) start_open_bucket();
  TrainingState& state = state_;
  custom("losses.finish_sum", {}, [&exchange, &state] { exchange.finish_losses(state.losses); });
  for (const auto& [name, slot] : exchanged_) {
    update_step(name, {}, [&exchange, slot = slot] { return exchange.averaged(slot); });
  }
}

void Trainer::update_parameters() {
  for (const auto& [name, gradient] : pending_updates_) {
    if (state_.exchange != nullptr) {
      exchange_gradient(name, gradient);
    } else {
      update_step(name, gradient);
    }
  }
  pending_updates_.clear();
}

void Trainer::update_parameters_without_gradient() {
  for (const Node& n : graph().nodes()) {
    for (const ParamSpec& p : n.params) {
      if (p.kind != ParamKind::Trainable || updated_.contains(p.name)) continue;
      update_step(p.name, weights(Tensor(p.shape), plain_md(p.shape), plain_md(p.shape), p.name + ".zero_grad"));
    }
  }
}

void Trainer::store_gradient(const Node& n, std::string_view suffix, BufferId from, const memory::desc& plain) {
  reorder_into(from, gradient_of(n, suffix, plain), n.name);
}

void Trainer::custom(const std::string& label, const std::vector<BufferId>& buffers, std::function<void()> body) {
  for (BufferId b : buffers) plan().touch(b);
  Step s{.label = label};
  s.custom = std::move(body);
  plan().add_step(std::move(s));
}

BufferId Trainer::input_for_backward(const Node& n, std::size_t i, const memory::desc& wanted) {
  const ValueId v = n.inputs.at(i);
  const BufferId again = recomputed(v);
  return as_layout(again >= 0 ? again : saved(n).inputs.at(i), wanted, n.name);
}

// The node that computes `v` again in backward (TrainingOutput::Recomputed), if any: a convolution, or
// the batch norm before a fused ReLU.
BufferId Trainer::recomputed(ValueId v) {
  NodeId producer = graph().value(v).producer;
  if (producer == kNoNode) return -1;
  if (training_output(graph(), producer) == TrainingOutput::Fused) {
    producer = graph().value(graph().node(producer).inputs[0]).producer;
  }
  if (training_output(graph(), producer) != TrainingOutput::Recomputed) return -1;
  auto [it, fresh] = recomputed_.try_emplace(v, -1);
  if (fresh) {
    const Node& node = graph().node(producer);
    it->second = node.op == OpKind::Conv ? recompute_conv(*this, node) : recompute_batch_norm_relu(*this, node);
  }
  return it->second;
}

std::optional<ValueState> Trainer::gradient(ValueId v) const {
  return gradients_of_values_.at(static_cast<std::size_t>(v));
}

void Trainer::add_gradient(ValueId v, BufferId contribution, const std::string& label) {
  auto& slot = gradients_of_values_.at(static_cast<std::size_t>(v));
  if (!slot) {
    slot = ValueState{contribution, plan().buffer(contribution).md};
    return;
  }
  const BufferId other = as_layout(contribution, slot->md, label);
  dnnl::binary::desc desc(dnnl::algorithm::binary_add, slot->md, slot->md, slot->md);
  dnnl::binary::primitive_desc pd(desc, engine());
  const BufferId sum = plan().add_buffer(slot->md, label + ".grad_sum");
  step(label, dnnl::binary(pd), {{DNNL_ARG_SRC_0, slot->buffer}, {DNNL_ARG_SRC_1, other}, {DNNL_ARG_DST, sum}});
  slot->buffer = sum;
}

// The value whose gradient a node's backward consumes: a batch norm that applies its ReLU takes the
// ReLU's output gradient.
ValueId Trainer::gradient_source(const Node& n) const {
  const NodeId relu = n.op == OpKind::BatchNorm ? fused_relu(graph(), id_of(n)) : kNoNode;
  return relu != kNoNode ? graph().node(relu).output : n.output;
}

void Trainer::forward(const Node& n) {
  if (training_output(graph(), id_of(n)) == TrainingOutput::Fused) return;  // the batch norm before it ran it
  // One case per op family; a family added to OpFamily without one does not compile (-Werror=switch).
  switch (op_family(n.op)) {
    case OpFamily::Conv:
      return forward_conv(*this, n);
    case OpFamily::Linear:
      return forward_linear(*this, n);
    case OpFamily::BatchNorm:
      return forward_batch_norm(*this, n);
    case OpFamily::Lrn:
      return forward_lrn(*this, n);
    case OpFamily::Pool:
      return forward_pool(*this, n);
    case OpFamily::Activation:
      return forward_eltwise(*this, n);
    case OpFamily::Softmax:
      return forward_softmax(*this, n);
    case OpFamily::Dropout:
      return forward_dropout(*this, n);
    case OpFamily::View:
      return forward_flatten(*this, n);
    case OpFamily::Add:
      return forward_add(*this, n);
    case OpFamily::Concat:
      return forward_concat(*this, n);
    case OpFamily::ChannelMul:
      return forward_channel_mul(*this, n);
    case OpFamily::ChannelPad:
      return forward_channel_pad(*this, n);
    case OpFamily::ChannelAffine:
      return forward_channel_affine(*this, n);
    case OpFamily::TensorOp:
    case OpFamily::Constant:  // refused by require_trainable() when the engine is made
      throw Error(fmt::format("{}: op {} cannot be trained", n.name, op_name(n.op)));
  }
}

void Trainer::backward(const Node& n) {
  if (training_output(graph(), id_of(n)) == TrainingOutput::Fused) return;  // in its batch norm's backward
  if (!gradient(gradient_source(n))) return;                                // nothing downstream depends on it
  backward_node(n);
  if (options_.fused_update) update_parameters();
  if (state_.exchange != nullptr && state_.exchange->buckets() > 0) {
    GradientExchange& exchange = *state_.exchange;
    custom(n.name + ".gradients.progress", {}, [&exchange] { exchange.progress(); });
  }
}

void Trainer::backward_node(const Node& n) {
  switch (op_family(n.op)) {
    case OpFamily::Conv:
      return backward_conv(*this, n);
    case OpFamily::Linear:
      return backward_linear(*this, n);
    case OpFamily::BatchNorm:
      return backward_batch_norm(*this, n);
    case OpFamily::Lrn:
      return backward_lrn(*this, n);
    case OpFamily::Pool:
      return backward_pool(*this, n);
    case OpFamily::Activation:
      return backward_eltwise(*this, n);
    case OpFamily::Softmax:
      return backward_softmax(*this, n);
    case OpFamily::Dropout:
      return backward_dropout(*this, n);
    case OpFamily::View:
      return backward_flatten(*this, n);
    case OpFamily::Add:
      return backward_add(*this, n);
    case OpFamily::Concat:
      return backward_concat(*this, n);
    case OpFamily::ChannelMul:
      return backward_channel_mul(*this, n);
    case OpFamily::ChannelPad:
      return backward_channel_pad(*this, n);
    case OpFamily::ChannelAffine:
      return backward_channel_affine(*this, n);
    case OpFamily::TensorOp:
    case OpFamily::Constant:
      throw Error(fmt::format("{}: op {} cannot be trained", n.name, op_name(n.op)));
  }
}

std::vector<BufferId> Trainer::compile(BufferId input) {
  const ValueId in = graph().inputs().at(0);
  set_state(in, input, plain_md(graph().shape(in)));
  for (const Node& n : graph().nodes()) forward(n);
  std::vector<BufferId> outputs;
  for (ValueId v : graph().outputs()) {
    const BufferId b = input_as(v, plain_md(graph().shape(v)), graph().value(v).name + ".output");
    plan().keep_to_end(b);
    outputs.push_back(b);
  }
  lower_loss(*this, outputs);
  if (state_.exchange != nullptr) {
    GradientExchange& exchange = *state_.exchange;
    TrainingState& state = state_;
    custom("losses.start_sum", {}, [&exchange, &state] { exchange.start_losses(state.losses); });
  }
  for (auto it = graph().nodes().rbegin(); it != graph().nodes().rend(); ++it) backward(*it);
  if (state_.exchange != nullptr) exchanged_updates();
  if (options_.fused_update) update_parameters_without_gradient();
  return outputs;
}

}  // namespace cnnzoo::onednn
