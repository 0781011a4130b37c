// What a node's forward training pass leaves for its backward pass: the buffers it read and wrote, and its
// forward primitive_desc, which oneDNN's backward primitives take as their hint, typed by primitive kind.
#pragma once

#include <dnnl.hpp>
#include <type_traits>
#include <variant>
#include <vector>

#include "backend/onednn/plan.h"
#include "cnnzoo/graph.h"

namespace cnnzoo::onednn {

/// The forward primitive_desc of a node; none for the ops lowered without a oneDNN primitive.
using ForwardDesc =
    std::variant<std::monostate, dnnl::convolution_forward::primitive_desc, dnnl::inner_product_forward::primitive_desc,
                 dnnl::batch_normalization_forward::primitive_desc, dnnl::lrn_forward::primitive_desc,
                 dnnl::pooling_v2_forward::primitive_desc, dnnl::eltwise_forward::primitive_desc,
                 dnnl::softmax_forward::primitive_desc>;

/// The position of `Desc` among ForwardDesc's alternatives.
template <typename Desc, std::size_t I = 0>
constexpr std::size_t forward_index() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, ForwardDesc>, Desc>) {
    return I;
  } else {
    return forward_index<Desc, I + 1>();
  }
}

/// A backward pass that found another forward primitive_desc than its own kind (or none): an Error
/// naming the node and both kinds.
[[noreturn]] void wrong_forward_kind(const Node& node, std::size_t wanted, std::size_t saved);

/// What a node's forward pass leaves for its backward pass.
struct Saved {
  std::vector<BufferId> inputs;  ///< inputs as the forward primitive read them
  BufferId output = -1;
  BufferId workspace = -1;
  BufferId mean = -1, variance = -1;
  BufferId mask = -1;
  ForwardDesc forward;  ///< the forward primitive_desc

  /// The saved forward primitive_desc as a `Desc`, the kind `node`'s backward pass builds on.
  template <typename Desc>
  const Desc& forward_as(const Node& node) const {
    if (const auto* desc = std::get_if<Desc>(&forward)) return *desc;
    wrong_forward_kind(node, forward_index<Desc>(), forward.index());
  }
};

}  // namespace cnnzoo::onednn
