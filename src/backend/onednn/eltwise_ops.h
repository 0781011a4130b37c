// The oneDNN eltwise algorithm of each activation (OpFamily::Activation), for inference and training.
#pragma once

#include <dnnl.hpp>

#include "cnnzoo/graph.h"

namespace cnnzoo::onednn {

struct EltwiseOp {
  dnnl::algorithm inference;
  /// A use_dst algorithm: the backward pass reads the forward output, as the op's traits say.
  dnnl::algorithm training;
  float alpha = 0.0f;
  float beta = 0.0f;
};

/// The algorithm and its alpha and beta for activation node `n`.
EltwiseOp eltwise_op(const Node& n);

}  // namespace cnnzoo::onednn
