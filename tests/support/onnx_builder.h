// Hand-built ONNX models for tests that feed cnnzoo a malformed or unusual graph: the model header and a
// float graph input, so each test writes only the nodes it is about.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cnnzoo::test {

/// An empty model of IR version 7 at `opset`.
inline onnx::ModelProto onnx_model_header(int64_t opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(opset);
  return m;
}

/// Declares a float input `name` of shape `dims`; with `symbolic_batch` its first dimension is "N".
inline void add_float_input(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& dims,
                            bool symbolic_batch = false) {
  onnx::ValueInfoProto* in = g.add_input();
  in->set_name(name);
  onnx::TypeProto_Tensor* type = in->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    onnx::TensorShapeProto_Dimension* dim = type->mutable_shape()->add_dim();
    if (i == 0 && symbolic_batch) {
      dim->set_dim_param("N");
    } else {
      dim->set_dim_value(dims[i]);
    }
  }
}

}  // namespace cnnzoo::test
