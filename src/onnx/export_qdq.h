// int8 ONNX export in the QDQ form (QuantizeLinear / DequantizeLinear around float operators), as ONNX Runtime's
// quantizer writes it and its runtime fuses into integer kernels: the scales are those cnnzoo's int8 engine
// uses, so the file computes what `--precision int8` computes.
//   activations: per tensor from the calibrated range, u8 (zero point 0) for a range that never goes below 0,
//                else s8 (symmetric, zero point 0);
//   weights:     s8 per output channel (axis 0), symmetric, after folding the batch norm that follows;
//   biases:      int32 with scale s_input * s_weight[c], zero point 0.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <vector>

#include "cnnzoo/quantization.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo::onnx_export {

class QdqWriter {
 public:
  QdqWriter(onnx::GraphProto& proto, const Quantization& quantization) : proto_(proto), quantization_(quantization) {}

  /// DequantizeLinear(QuantizeLinear(`tensor`)) with the range calibrated for IR value `value`; made once per
  /// tensor, its output name returned. `scale` receives the activation's scale.
  std::string activation(const std::string& tensor, const std::string& value, float& scale);
  /// `weight` (output channels first) as an s8 initializer `key`_quantized with one scale per output channel,
  /// and its DequantizeLinear; returns the dequantized name. `scales` receives the scales.
  std::string weight(const std::string& key, const Tensor& weight, std::vector<float>& scales);
  /// `bias` as an int32 initializer with scale input_scale * weight_scales[c], and its DequantizeLinear.
  std::string bias(const std::string& key, const Tensor& bias, float input_scale,
                   const std::vector<float>& weight_scales);

 private:
  onnx::NodeProto& dequantize(const std::string& name, const std::string& quantized, const std::string& scale,
                              const std::string& zero_point);
  onnx::GraphProto& proto_;
  const Quantization& quantization_;
  std::map<std::string, std::pair<std::string, float>> activations_;  ///< by tensor: dequantized name, scale
};

}  // namespace cnnzoo::onnx_export
