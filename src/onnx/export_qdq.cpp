#include "onnx/export_qdq.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

#include "cnnzoo/error.h"
#include "onnx/export_proto.h"

namespace cnnzoo::onnx_export {
namespace {

// Round to nearest even, as the int8 engine's reorders round, then saturate to [lo, hi].
template <typename T>
T saturate(double x, double lo, double hi) {
  return static_cast<T>(std::clamp(std::nearbyint(x), lo, hi));
}

// int8 has no NaN or infinity: a parameter holding one cannot be quantized (and would be undefined to convert).
void require_finite(const std::string& key, std::span<const float> values) {
  if (std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); })) return;
  throw Error(fmt::format("{}: holds a value that is not finite, which int8 cannot represent; export it in fp32", key));
}

}  // namespace

onnx::NodeProto& QdqWriter::dequantize(const std::string& name, const std::string& quantized, const std::string& scale,
                                       const std::string& zero_point) {
  onnx::NodeProto& n = *proto_.add_node();
  n.set_name(name + ".DequantizeLinear");
  n.set_op_type("DequantizeLinear");
  for (const std::string& in : {quantized, scale, zero_point}) n.add_input(in);
  n.add_output(name);
  return n;
}

std::string QdqWriter::activation(const std::string& tensor, const std::string& value, float& scale) {
  if (const auto it = activations_.find(tensor); it != activations_.end()) {
    scale = it->second.second;
    return it->second.first;
  }
  const auto range = quantization_.ranges.find(value);
  if (range == quantization_.ranges.end()) {
    throw Error(
        fmt::format("{}: the int8 calibration has no range for it; calibrate this model again with `cnnzoo "
                    "quantize`",
                    value));
  }
  scale = range->second.scale();
  const bool u8 = range->second.unsigned_int8();
  const std::string scale_name = tensor + ".scale", zero_name = tensor + ".zero_point";
  fill_float_scalar(*proto_.add_initializer(), scale_name, scale);
  const uint8_t zero = 0;
  fill_raw(*proto_.add_initializer(), zero_name, u8 ? onnx::TensorProto::UINT8 : onnx::TensorProto::INT8, {}, &zero, 1);
  onnx::NodeProto& q = *proto_.add_node();
  q.set_name(tensor + ".QuantizeLinear");
  q.set_op_type("QuantizeLinear");
  for (const std::string& in : {tensor, scale_name, zero_name}) q.add_input(in);
  q.add_output(tensor + ".quantized");
  const std::string out = tensor + ".dequantized";
  dequantize(out, tensor + ".quantized", scale_name, zero_name);
  activations_.emplace(tensor, std::make_pair(out, scale));
  return out;
}

std::string QdqWriter::weight(const std::string& key, const Tensor& weight, std::vector<float>& scales) {
  require_finite(key, weight.f32());
  const int64_t channels = weight.shape().at(0);
  scales = weight_scales(weight, channels);
  const auto w = weight.f32();
  const std::size_t per_channel = w.size() / static_cast<std::size_t>(channels);
  std::vector<int8_t> q(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) q[i] = saturate<int8_t>(w[i] / scales[i / per_channel], -127, 127);
  const std::vector<int8_t> zeros(static_cast<std::size_t>(channels), 0);
  fill_raw(*proto_.add_initializer(), key + "_quantized", onnx::TensorProto::INT8, weight.shape(), q.data(), q.size());
  fill_raw(*proto_.add_initializer(), key + "_scale", onnx::TensorProto::FLOAT, {channels}, scales.data(),
           scales.size() * sizeof(float));
  fill_raw(*proto_.add_initializer(), key + "_zero_point", onnx::TensorProto::INT8, {channels}, zeros.data(),
           zeros.size());
  add_attribute(dequantize(key + "_dequantized", key + "_quantized", key + "_scale", key + "_zero_point"), "axis",
                int64_t{0});
  return key + "_dequantized";
}

std::string QdqWriter::bias(const std::string& key, const Tensor& bias, float input_scale,
                            const std::vector<float>& weight_scales) {
  require_finite(key, bias.f32());
  const auto b = bias.f32();
  std::vector<float> scales(b.size());
  std::vector<int32_t> q(b.size());
  for (std::size_t c = 0; c < b.size(); ++c) {
    scales[c] = input_scale * weight_scales[c];
    q[c] =
        saturate<int32_t>(b[c] / scales[c], std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  }
  const std::vector<int32_t> zeros(b.size(), 0);
  const auto n = static_cast<int64_t>(b.size());
  fill_raw(*proto_.add_initializer(), key + "_quantized", onnx::TensorProto::INT32, {n}, q.data(), q.size() * 4);
  fill_raw(*proto_.add_initializer(), key + "_scale", onnx::TensorProto::FLOAT, {n}, scales.data(), scales.size() * 4);
  fill_raw(*proto_.add_initializer(), key + "_zero_point", onnx::TensorProto::INT32, {n}, zeros.data(),
           zeros.size() * 4);
  add_attribute(dequantize(key + "_dequantized", key + "_quantized", key + "_scale", key + "_zero_point"), "axis",
                int64_t{0});
  return key + "_dequantized";
}

}  // namespace cnnzoo::onnx_export
