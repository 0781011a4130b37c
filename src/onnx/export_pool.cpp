#include "onnx/export_pool.h"

#include <fmt/format.h>

#include "cnnzoo/error.h"

namespace cnnzoo::onnx_export {
namespace {

// Output size of one axis in floor mode, as ONNX computes it.
int64_t floor_output(int64_t in, int64_t kernel, int64_t stride, int64_t pad_begin, int64_t pad_end, int64_t dilation) {
  return (in + pad_begin + pad_end - (kernel - 1) * dilation - 1) / stride + 1;
}

}  // namespace

PoolWindow pool_window(const std::string& node, const attr::Pool& pool, const Dims& in, const Dims& out) {
  const Hw stride = pool.effective_stride();
  const Hw end = pool.effective_pad_end();
  PoolWindow w{.kernel = {pool.kernel.h, pool.kernel.w},
               .strides = {stride.h, stride.w},
               .pads = {pool.pad.h, pool.pad.w, end.h, end.w},
               .dilations = {pool.dilation.h, pool.dilation.w}};
  const bool ceil_h = out[2] != floor_output(in[2], pool.kernel.h, stride.h, pool.pad.h, end.h, pool.dilation.h);
  const bool ceil_w = out[3] != floor_output(in[3], pool.kernel.w, stride.w, pool.pad.w, end.w, pool.dilation.w);
  if (ceil_h != ceil_w) {
    throw Error(fmt::format(
        "{}: cannot export to ONNX: ceil-mode pooling from {}x{} to {}x{} adds a last window on one axis and drops it "
        "on the other, which one ONNX ceil_mode cannot express",
        node, in[2], in[3], out[2], out[3]));
  }
  w.ceil_mode = ceil_h;
  return w;
}

Hw adaptive_window(const std::string& node, Hw in, Hw out) {
  if (in.h % out.h != 0 || in.w % out.w != 0) {
    throw Error(fmt::format(
        "{}: cannot export to ONNX: adaptive average pooling from {}x{} to {}x{} has overlapping windows that ONNX "
        "cannot express",
        node, in.h, in.w, out.h, out.w));
  }
  return {in.h / out.h, in.w / out.w};
}

}  // namespace cnnzoo::onnx_export
