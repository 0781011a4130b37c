// Small builders for the ONNX protobuf messages the exporter writes: attributes, tensors, value infos.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cnnzoo/shape.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo::onnx_export {

void add_attribute(onnx::NodeProto& node, const std::string& name, int64_t value);
void add_attribute(onnx::NodeProto& node, const std::string& name, float value);
void add_attribute(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values);
void add_attribute(onnx::NodeProto& node, const std::string& name, const std::string& value);

/// A tensor's data as raw little-endian bytes (F32 or I64).
void fill_tensor(onnx::TensorProto& proto, const std::string& name, const Tensor& tensor);
/// An int64 tensor of `shape` holding `values` (shape {} for a scalar).
void fill_int64s(onnx::TensorProto& proto, const std::string& name, std::span<const int64_t> values, const Dims& shape);
/// A float32 scalar.
void fill_float_scalar(onnx::TensorProto& proto, const std::string& name, float value);
/// An initializer of `type` (INT8, UINT8, INT32, FLOAT) whose little-endian elements lie at `data`.
void fill_raw(onnx::TensorProto& proto, const std::string& name, onnx::TensorProto::DataType type, const Dims& shape,
              const void* data, std::size_t bytes);

/// A float32 tensor of a static shape, for the graph's inputs and outputs.
void fill_value_info(onnx::ValueInfoProto& info, const std::string& name, const Dims& shape);

}  // namespace cnnzoo::onnx_export
