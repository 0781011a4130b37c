#include "backend/onednn/saved.h"

#include <fmt/format.h>

#include <array>

#include "cnnzoo/error.h"

namespace cnnzoo::onednn {
namespace {

// In ForwardDesc's order.
constexpr std::array kForwardKinds{"none", "convolution", "inner product", "batch normalization",
                                   "lrn",  "pooling",     "eltwise",       "softmax"};
static_assert(kForwardKinds.size() == std::variant_size_v<ForwardDesc>);

}  // namespace

void wrong_forward_kind(const Node& node, std::size_t wanted, std::size_t saved) {
  throw Error(fmt::format("onednn: {}: the backward pass needs the {} forward primitive, the forward pass saved {}",
                          node.name, kForwardKinds.at(wanted), kForwardKinds.at(saved)));
}

}  // namespace cnnzoo::onednn
