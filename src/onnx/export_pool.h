// The ONNX window attributes of pooling nodes, where PyTorch's rules and ONNX's differ.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnzoo/ops.h"
#include "cnnzoo/shape.h"

namespace cnnzoo::onnx_export {

struct PoolWindow {
  std::vector<int64_t> kernel;   ///< kernel_shape
  std::vector<int64_t> strides;  ///< stride 0 (= the kernel) made explicit
  std::vector<int64_t> pads;     ///< top, left, bottom, right
  std::vector<int64_t> dilations;
  bool ceil_mode = false;
};

/// The window of a max or average pooling from `in` to `out` (N, C, H, W). ceil_mode is set only where it
/// adds a window: PyTorch drops a last window that would start in the trailing padding and ONNX does not,
/// so where PyTorch dropped it floor mode gives the same windows. Throws Error naming `node` when the two
/// axes would need different modes.
PoolWindow pool_window(const std::string& node, const attr::Pool& pool, const Dims& in, const Dims& out);

/// The kernel (and stride) of the average pooling equal to adaptive average pooling from `in` to `out`:
/// PyTorch's windows are all of one size and do not overlap only where out divides in. Throws Error naming
/// `node` otherwise.
Hw adaptive_window(const std::string& node, Hw in, Hw out);

}  // namespace cnnzoo::onnx_export
