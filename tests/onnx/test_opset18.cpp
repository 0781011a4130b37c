// Opset 18's forms of the supported ops: the axes of ReduceMean, ReduceMax and ReduceMin and of Pad as inputs,
// Split's num_outputs (the last part smaller), against hand values.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "cnnzoo/engine.h"
#include "cnnzoo/onnx.h"
#include "support/onnx_builder.h"

namespace cnnzoo {
namespace {

std::vector<float> values(const Tensor& t) { return {t.f32().begin(), t.f32().end()}; }

TEST(OnnxOpset18, AxesAsInputsAndSplitIntoNumOutputs) {
  onnx::ModelProto m = test::onnx_model_header(18);
  onnx::GraphProto& g = *m.mutable_graph();
  test::add_float_input(g, "x", {1, 1, 2, 5});
  test::add_int64s(g, "last", {-1});
  test::add_int64s(g, "rows", {2});
  test::add_int64s(g, "pads", {1, 0});
  // The mean and the maximum of each row; the minimum of each column.
  test::add_node(g, "ReduceMean", {"x", "last"}, "mean");
  test::add_int_attribute(test::add_node(g, "ReduceMax", {"x", "last"}, "max"), "keepdims", 0);
  test::add_node(g, "ReduceMin", {"x", "rows"}, "min");
  // A row of zeros above: Pad's pads are for the axes given, here the rows alone.
  test::add_node(g, "Pad", {"x", "pads", "", "rows"}, "padded");
  // 5 columns into 3 parts: 2, 2 and 1.
  onnx::NodeProto& split = test::add_node(g, "Split", {"x"}, "left");
  split.add_output("middle");
  split.add_output("right");
  test::add_int_attribute(split, "axis", 3);
  test::add_int_attribute(split, "num_outputs", 3);
  for (const char* out : {"mean", "max", "min", "padded", "left", "middle", "right"}) g.add_output()->set_name(out);

  const OnnxModel model = import_onnx_bytes(m.SerializeAsString(), "opset18.onnx");
  const Tensor x({1, 1, 2, 5}, std::vector<float>{1, 2, 3, 4, 5, 6, 0, 8, -9, 10});
  const std::vector<Tensor> y = InferenceEngine(model.graph, model.parameters).run(x);
  ASSERT_EQ(y.size(), 7u);
  EXPECT_EQ(y[0].shape(), (Dims{1, 1, 2, 1}));
  EXPECT_EQ(values(y[0]), (std::vector<float>{3, 3}));
  EXPECT_EQ(y[1].shape(), (Dims{1, 1, 2}));
  EXPECT_EQ(values(y[1]), (std::vector<float>{5, 10}));
  EXPECT_EQ(values(y[2]), (std::vector<float>{1, 0, 3, -9, 5}));
  EXPECT_EQ(y[3].shape(), (Dims{1, 1, 3, 5}));
  EXPECT_EQ(values(y[3]), (std::vector<float>{0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 8, -9, 10}));
  EXPECT_EQ(values(y[4]), (std::vector<float>{1, 2, 6, 0}));
  EXPECT_EQ(values(y[5]), (std::vector<float>{3, 4, 8, -9}));
  EXPECT_EQ(values(y[6]), (std::vector<float>{5, 10}));
}

}  // namespace
}  // namespace cnnzoo
