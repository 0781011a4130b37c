#include "backend/onednn/eltwise_ops.h"

#include <fmt/format.h>

#include "cnnzoo/error.h"
#include "ops/family_table.h"

namespace cnnzoo::onednn {
namespace {

using dnnl::algorithm;

// What oneDNN calls each activation; its alpha and beta come from the node's attributes. An activation
// added to CNNZOO_OPS without an entry here does not compile (kAlgorithms below).
template <OpKind K>
struct Eltwise;

// The algorithms, and a function that reads alpha and beta from the attributes.
struct Algorithms {
  algorithm inference = algorithm::undef;
  algorithm training = algorithm::undef;
  EltwiseOp (*with_attributes)(const Algorithms&, const Attrs&) = nullptr;
};

EltwiseOp without_attributes(const Algorithms& a, const Attrs&) { return {a.inference, a.training}; }

template <>
struct Eltwise<OpKind::Relu> {
  static constexpr Algorithms value{algorithm::eltwise_relu, algorithm::eltwise_relu_use_dst_for_bwd,
                                    without_attributes};
};

template <>
struct Eltwise<OpKind::Sigmoid> {
  static constexpr Algorithms value{algorithm::eltwise_logistic, algorithm::eltwise_logistic_use_dst_for_bwd,
                                    without_attributes};
};

template <>
struct Eltwise<OpKind::Elu> {
  static constexpr Algorithms value{algorithm::eltwise_elu, algorithm::eltwise_elu_use_dst_for_bwd,
                                    [](const Algorithms& a, const Attrs& attrs) {
                                      const auto alpha = static_cast<float>(std::get<attr::Elu>(attrs).alpha);
                                      return EltwiseOp{a.inference, a.training, alpha};
                                    }};
};

// eltwise_linear (alpha x + beta) has no use_dst form; its derivative is the constant alpha, so its backward
// reads no values and the trainer's output buffer serves as its input (backward_eltwise).
template <>
struct Eltwise<OpKind::Scale> {
  static constexpr Algorithms value{algorithm::eltwise_linear, algorithm::eltwise_linear,
                                    [](const Algorithms& a, const Attrs& attrs) {
                                      const auto factor = static_cast<float>(std::get<attr::Scale>(attrs).factor);
                                      return EltwiseOp{a.inference, a.training, factor, 0.0f};
                                    }};
};

constexpr auto kAlgorithms = ops::family_table<OpFamily::Activation, Eltwise, Algorithms>();

}  // namespace

EltwiseOp eltwise_op(const Node& n) {
  const Algorithms& a = kAlgorithms[static_cast<std::size_t>(n.op)];
  if (a.with_attributes == nullptr) {
    throw Error(fmt::format("{}: op {} is no activation", n.name, op_name(n.op)));
  }
  return a.with_attributes(a, n.attrs);
}

}  // namespace cnnzoo::onednn
