// How a pooling node maps to oneDNN: algorithm and explicit window, or a plain reference fallback for
// the windows oneDNN does not express. Shared by the inference and the training lowering.
#pragma once

#include <dnnl.hpp>

#include "cnnzoo/graph.h"

namespace cnnzoo::onednn {

struct PoolGeometry {
  bool fallback = false;  ///< overlapping adaptive windows, or average windows that PyTorch clips
  dnnl::algorithm algorithm = dnnl::algorithm::pooling_max;
  dnnl::memory::dims kernel, strides, pad_l, pad_r;
  dnnl::memory::dims dilation;  ///< oneDNN's: 0 for adjacent elements
};

PoolGeometry pool_geometry(const Graph& graph, const Node& node);

}  // namespace cnnzoo::onednn
