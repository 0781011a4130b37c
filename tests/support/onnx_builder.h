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

/// Declares an input `name` of element type `elem_type` and shape `dims`; with `symbolic_batch` its first dimension is
/// "N".
inline void add_typed_input(onnx::GraphProto& g, const std::string& name, int32_t elem_type,
                            const std::vector<int64_t>& dims, bool symbolic_batch = false) {
  onnx::ValueInfoProto* in = g.add_input();
  in->set_name(name);
  onnx::TypeProto_Tensor* type = in->mutable_type()->mutable_tensor_type();
  type->set_elem_type(elem_type);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    onnx::TensorShapeProto_Dimension* dim = type->mutable_shape()->add_dim();
    if (i == 0 && symbolic_batch) {
      dim->set_dim_param("N");
    } else {
      dim->set_dim_value(dims[i]);
    }
  }
}

/// Declares a float input `name` of shape `dims`; with `symbolic_batch` its first dimension is "N".
inline void add_float_input(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& dims,
                            bool symbolic_batch = false) {
  add_typed_input(g, name, onnx::TensorProto::FLOAT, dims, symbolic_batch);
}

/// Adds an int64 vector initializer `name`.
inline void add_int64s(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& values) {
  onnx::TensorProto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) t->add_int64_data(v);
}

/// Adds a node of `op` named as its one output.
inline onnx::NodeProto& add_node(onnx::GraphProto& g, const std::string& op, const std::vector<std::string>& inputs,
                                 const std::string& output) {
  onnx::NodeProto* n = g.add_node();
  n->set_name(output);
  n->set_op_type(op);
  for (const std::string& in : inputs) n->add_input(in);
  n->add_output(output);
  return *n;
}

/// Adds an integer attribute to `n`.
inline void add_int_attribute(onnx::NodeProto& n, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

}  // namespace cnnzoo::test
