// ONNX's Pad as exporters write it: zero padding of height and width taken over by the Conv or AveragePool that
// reads it, a pad node for any other reader, and the reflect and edge modes, against hand values.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/onnx.h"
#include "support/error_of.h"
#include "support/onnx_builder.h"

namespace cnnzoo {
namespace {

using test::error_of;

// x (1x1x2x3) through a Pad of `pads` in `mode`, then `next` (an op of one input, or none), as the output.
onnx::ModelProto pad_model(const std::vector<int64_t>& pads, const std::string& mode, const std::string& next = "") {
  onnx::ModelProto m = test::onnx_model_header(13);
  onnx::GraphProto& g = *m.mutable_graph();
  test::add_float_input(g, "x", {1, 1, 2, 3});
  test::add_int64s(g, "pads", pads);
  onnx::AttributeProto* a = test::add_node(g, "Pad", {"x", "pads"}, "padded").add_attribute();
  a->set_name("mode");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(mode);
  if (!next.empty()) test::add_node(g, next, {"padded"}, "y");
  g.add_output()->set_name(next.empty() ? "padded" : "y");
  return m;
}

// The model imported, and its output on x = (1 2 3; 4 5 6).
struct Ran {
  OnnxModel model;
  std::vector<float> y;
};

Ran run(const onnx::ModelProto& m) {
  Ran r{import_onnx_bytes(m.SerializeAsString(), "pad.onnx"), {}};
  const Tensor x({1, 1, 2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  const Tensor y = InferenceEngine(r.model.graph, r.model.parameters).run(x).at(0);
  r.y.assign(y.f32().begin(), y.f32().end());
  return r;
}

TEST(OnnxPad, ReflectAndEdgeModes) {
  // One column on the left and two on the right of rows (1 2 3) and (4 5 6).
  EXPECT_EQ(run(pad_model({0, 0, 0, 1, 0, 0, 0, 2}, "reflect")).y,
            (std::vector<float>{2, 1, 2, 3, 2, 1, 5, 4, 5, 6, 5, 4}));
  EXPECT_EQ(run(pad_model({0, 0, 0, 1, 0, 0, 0, 2}, "edge")).y,
            (std::vector<float>{1, 1, 2, 3, 3, 3, 4, 4, 5, 6, 6, 6}));
  // A row above, reflected: the second row; a negative pad crops the last column.
  EXPECT_EQ(run(pad_model({0, 0, 1, 0, 0, 0, 0, -1}, "reflect")).y, (std::vector<float>{4, 5, 1, 2, 4, 5}));
  // Reflecting 2 rows off a height of 2 would need a second reflection.
  EXPECT_EQ(
      error_of([] {
        run(pad_model({0, 0, 2, 0, 0, 0, 0, 0}, "reflect"));
      }),
      "pad.onnx: node 'padded' (Pad): pad reflect padding of dimension 2 by 2 and 0 needs at most 1 (its size - 1)");
  EXPECT_EQ(error_of([] {
              run(pad_model({0, 0, 0, 0, 0, 0, 0, 0}, "wrap"));
            }),
            "pad.onnx: node 'padded' (Pad): mode 'wrap' is not supported (constant, reflect and edge are)");
}

TEST(OnnxPad, ZeroPaddingIsANodeWhereNoConvOrPoolTakesItOver) {
  // As the graph's output and before a Relu: zeros left of, right of and below the data.
  const std::vector<float> bordered{0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(run(pad_model({0, 0, 0, 1, 0, 0, 1, 1}, "constant")).y, bordered);
  const Ran relu = run(pad_model({0, 0, 0, 1, 0, 0, 1, 1}, "constant", "Relu"));
  EXPECT_EQ(relu.y, bordered);
  ASSERT_EQ(relu.model.graph.nodes().size(), 2u);
  EXPECT_EQ(relu.model.graph.node(0).op, OpKind::Pad);
  // Pads of 2^62 are refused by name before anything is sized.
  EXPECT_NE(
      error_of([] {
        run(pad_model({0, 0, int64_t{1} << 62, 0, 0, 0, 0, 0}, "constant"));
      }).find("node 'padded' (Pad): pad padding dimension 2 of size 2 by 4611686018427387904 and 0 leaves too many"),
      std::string::npos);
}

TEST(OnnxPad, AConvTakesOverZeroPaddingBeforeIt) {
  // Pad top 1, left 2, bottom 0, right 1, then a 2x2 convolution of ones without pads of its own: one Conv node
  // padded (1, 2) before and (0, 1) after, whose outputs are the sums of each 2x2 window of the bordered input.
  onnx::ModelProto m = pad_model({0, 0, 1, 2, 0, 0, 0, 1}, "constant");
  onnx::GraphProto& g = *m.mutable_graph();
  onnx::TensorProto* w = g.add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {1, 1, 2, 2}) w->add_dims(d);
  for (int i = 0; i < 4; ++i) w->add_float_data(1);
  test::add_node(g, "Conv", {"padded", "w"}, "y");
  g.mutable_output(0)->set_name("y");
  // The bordered input, 3x6: rows (0 0 0 0 0 0), (0 0 1 2 3 0), (0 0 4 5 6 0).
  const Ran conv = run(m);
  EXPECT_EQ(conv.y, (std::vector<float>{0, 1, 3, 5, 3, 0, 5, 12, 16, 9}));
  ASSERT_EQ(conv.model.graph.nodes().size(), 1u);
  const auto& a = std::get<attr::Conv>(conv.model.graph.node(0).attrs);
  EXPECT_EQ(a.pad, Hw(1, 2));
  EXPECT_EQ(a.effective_pad_end(), Hw(0, 1));
}

}  // namespace
}  // namespace cnnzoo
