#include "onnx/export_proto.h"

#include <bit>

namespace cnnzoo::onnx_export {

// raw_data is little-endian by the ONNX spec; the bytes are copied as they lie in memory.
static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian");

namespace {

onnx::AttributeProto& new_attribute(onnx::NodeProto& node, const std::string& name,
                                    onnx::AttributeProto::AttributeType type) {
  onnx::AttributeProto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(type);
  return a;
}

void set_header(onnx::TensorProto& proto, const std::string& name, onnx::TensorProto::DataType type,
                const Dims& shape) {
  proto.set_name(name);
  proto.set_data_type(type);
  for (int64_t d : shape) proto.add_dims(d);
}

}  // namespace

void add_attribute(onnx::NodeProto& node, const std::string& name, int64_t value) {
  new_attribute(node, name, onnx::AttributeProto::INT).set_i(value);
}

void add_attribute(onnx::NodeProto& node, const std::string& name, float value) {
  new_attribute(node, name, onnx::AttributeProto::FLOAT).set_f(value);
}

void add_attribute(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto& a = new_attribute(node, name, onnx::AttributeProto::INTS);
  for (int64_t v : values) a.add_ints(v);
}

void add_attribute(onnx::NodeProto& node, const std::string& name, const std::string& value) {
  new_attribute(node, name, onnx::AttributeProto::STRING).set_s(value);
}

void fill_tensor(onnx::TensorProto& proto, const std::string& name, const Tensor& tensor) {
  set_header(proto, name, tensor.dtype() == DType::F32 ? onnx::TensorProto::FLOAT : onnx::TensorProto::INT64,
             tensor.shape());
  proto.set_raw_data(tensor.bytes(), static_cast<std::size_t>(tensor.nbytes()));
}

void fill_int64s(onnx::TensorProto& proto, const std::string& name, std::span<const int64_t> values,
                 const Dims& shape) {
  set_header(proto, name, onnx::TensorProto::INT64, shape);
  proto.set_raw_data(values.data(), values.size_bytes());
}

void fill_float_scalar(onnx::TensorProto& proto, const std::string& name, float value) {
  set_header(proto, name, onnx::TensorProto::FLOAT, {});
  proto.set_raw_data(&value, sizeof value);
}

void fill_raw(onnx::TensorProto& proto, const std::string& name, onnx::TensorProto::DataType type, const Dims& shape,
              const void* data, std::size_t bytes) {
  set_header(proto, name, type, shape);
  proto.set_raw_data(data, bytes);
}

void fill_value_info(onnx::ValueInfoProto& info, const std::string& name, const Dims& shape) {
  info.set_name(name);
  onnx::TypeProto::Tensor& type = *info.mutable_type()->mutable_tensor_type();
  type.set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto& dims = *type.mutable_shape();
  for (int64_t d : shape) dims.add_dim()->set_dim_value(d);
}

}  // namespace cnnzoo::onnx_export
