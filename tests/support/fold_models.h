// ONNX models whose import folds a constant larger than their file: the decompression bombs of the ONNX
// importer (issue 12), built for the tests of the folded-constant budget.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/onnx_builder.h"

namespace cnnzoo::test {

/// An initializer of zeros: float32, or int64 when `int64`.
struct ZerosInitializer {
  std::string name;
  std::vector<int64_t> dims;
  bool int64 = false;
};

/// Input "x" (float32, 1x1), the `initializers`, node `name` = OP(inputs) (with an int attribute "axis"
/// when given), which the import folds since its inputs are constants, then node "y" = Add(x, name), the
/// graph output.
inline onnx::ModelProto fold_model(const std::vector<ZerosInitializer>& initializers, const std::string& name,
                                   const std::string& op, const std::vector<std::string>& inputs,
                                   std::optional<int64_t> axis = std::nullopt) {
  onnx::ModelProto m = onnx_model_header();
  onnx::GraphProto* g = m.mutable_graph();
  add_float_input(*g, "x", {1, 1});
  for (const ZerosInitializer& z : initializers) {
    onnx::TensorProto* t = g->add_initializer();
    t->set_name(z.name);
    t->set_data_type(z.int64 ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT);
    int64_t count = 1;
    for (int64_t d : z.dims) {
      t->add_dims(d);
      count *= d;
    }
    t->set_raw_data(std::string(static_cast<std::size_t>(count) * (z.int64 ? 8 : 4), '\0'));
  }
  onnx::NodeProto* folded = g->add_node();
  folded->set_name(name);
  folded->set_op_type(op);
  for (const std::string& input : inputs) folded->add_input(input);
  folded->add_output(name);
  if (axis) {
    onnx::AttributeProto* a = folded->add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(*axis);
  }
  // std::string arguments: GCC 12 warns (-Wrestrict, falsely) on protobuf's const char* overloads here.
  const std::string x = "x", y = "y";
  onnx::NodeProto* add = g->add_node();
  add->set_name(y);
  add->set_op_type("Add");
  add->add_input(x);
  add->add_input(name);
  add->add_output(y);
  g->add_output()->set_name(y);
  return m;
}

/// Node "repeat_rows" = Gather(w, rows) of a 1 x `cols` float32 weight at `repeats` zero indices: a
/// `repeats` x `cols` constant of repeats * cols * 4 bytes from a file of about cols * 4 + repeats * 8 bytes.
inline onnx::ModelProto gather_bomb_model(int64_t cols, int64_t repeats) {
  return fold_model({{"w", {1, cols}}, {"rows", {repeats}, true}}, "repeat_rows", "Gather", {"w", "rows"});
}

}  // namespace cnnzoo::test
