// Weights, statistics and shapes that arrive as graph inputs, as ONNX's backend runner feeds them: OnnxSession builds
// them into the compiled model, compiles again only when they change, and names what is missing or wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cnnzoo/error.h"
#include "cnnzoo/onnx.h"
#include "cnnzoo/onnx_session.h"
#include "support/onnx_builder.h"

namespace cnnzoo {
namespace {

using test::add_node;

// y = Relu(BatchNormalization(Conv(x, w, b), scale, shift, mean, var)): x 1x1x3x3, w 1x1x2x2, the rest one channel,
// every one of them a graph input.
std::string conv_bn_model() {
  onnx::ModelProto m = test::onnx_model_header();
  onnx::GraphProto& g = *m.mutable_graph();
  test::add_float_input(g, "x", {1, 1, 3, 3});
  test::add_float_input(g, "w", {1, 1, 2, 2});
  for (const char* name : {"b", "scale", "shift", "mean", "var"}) test::add_float_input(g, name, {1});
  add_node(g, "Conv", {"x", "w", "b"}, "conv");
  add_node(g, "BatchNormalization", {"conv", "scale", "shift", "mean", "var"}, "bn");
  add_node(g, "Relu", {"bn"}, "y");
  g.add_output()->set_name("y");
  return m.SerializeAsString();
}

Tensor values(Dims shape, std::vector<float> v) { return Tensor(std::move(shape), std::span<const float>(v)); }

std::map<std::string, Tensor> conv_bn_inputs(std::vector<float> w) {
  return {{"x", values({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})},
          {"w", values({1, 1, 2, 2}, std::move(w))},
          {"b", values({1}, {5})},
          {"scale", values({1}, {2})},
          {"shift", values({1}, {-1})},
          {"mean", values({1}, {3})},
          {"var", values({1}, {4})}};
}

// The batch norm of the test, by hand: (c - 3) / sqrt(4 + 1e-5) * 2 - 1, then Relu.
std::vector<float> expected_after_conv(const std::vector<float>& conv) {
  std::vector<float> y;
  for (float c : conv) y.push_back(std::max(0.0f, static_cast<float>((c - 3) / std::sqrt(4 + 1e-5) * 2 - 1)));
  return y;
}

void expect_values(const Tensor& got, const std::vector<float>& want) {
  ASSERT_EQ(got.shape(), (Dims{1, 1, 2, 2}));
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got.f32()[i], want[i], 1e-5) << "element " << i;
}

TEST(OnnxSession, RunsWeightsAndStatisticsGivenAsInputsAndCompilesAgainOnlyWhenTheyChange) {
  OnnxSession session(conv_bn_model(), "conv_bn.onnx", {}, {.threads = 1});
  // w = [[1, 0], [0, -1]]: each output is x[i][j] - x[i+1][j+1] = -4, plus the bias 5.
  auto out = session.run(conv_bn_inputs({1, 0, 0, -1}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "y");
  expect_values(out[0].tensor, expected_after_conv({1, 1, 1, 1}));
  EXPECT_EQ(session.compilations(), 1);
  EXPECT_EQ(session.constant_inputs(), (std::vector<std::string>{"b", "mean", "scale", "shift", "var", "w"}));

  // Other data, the same weights: the compiled model runs it.
  std::map<std::string, Tensor> inputs = conv_bn_inputs({1, 0, 0, -1});
  inputs.at("x") = values({1, 1, 3, 3}, {9, 8, 7, 6, 5, 4, 3, 2, 1});
  expect_values(session.run(inputs)[0].tensor, expected_after_conv({9, 9, 9, 9}));
  EXPECT_EQ(session.compilations(), 1);

  // Other weights: compiled again. w = [[0, 1], [1, 0]]: x[i][j+1] + x[i+1][j], plus 5.
  expect_values(session.run(conv_bn_inputs({0, 1, 1, 0}))[0].tensor, expected_after_conv({11, 13, 17, 19}));
  EXPECT_EQ(session.compilations(), 2);
  // A statistic alone changing counts too: mean 3 -> 11 takes every output to Relu's zero.
  inputs = conv_bn_inputs({0, 1, 1, 0});
  inputs.at("mean") = values({1}, {30});
  expect_values(session.run(inputs)[0].tensor, {0, 0, 0, 0});
  EXPECT_EQ(session.compilations(), 3);
}

TEST(OnnxSession, AnotherInputShapeCompilesAgain) {
  OnnxSession session(conv_bn_model(), "conv_bn.onnx", {}, {.threads = 1});
  session.run(conv_bn_inputs({1, 0, 0, -1}));
  std::map<std::string, Tensor> inputs = conv_bn_inputs({1, 0, 0, -1});
  inputs.at("x") = Tensor({1, 1, 4, 4});  // zeros: each output is the bias, 5
  const auto out = session.run(inputs);
  EXPECT_EQ(session.compilations(), 2);
  ASSERT_EQ(out[0].tensor.shape(), (Dims{1, 1, 3, 3}));
  for (float v : out[0].tensor.f32()) EXPECT_NEAR(v, expected_after_conv({5})[0], 1e-5);
}

// A non-finite input goes to the reference interpreter, which imports the weights again from the session's bytes.
TEST(OnnxSession, NonFiniteDataRunsOnTheWeightsGivenAsInputs) {
  OnnxSession session(conv_bn_model(), "conv_bn.onnx", {}, {.threads = 1});
  std::map<std::string, Tensor> inputs = conv_bn_inputs({1, 0, 0, -1});
  inputs.at("x").f32()[0] = std::numeric_limits<float>::quiet_NaN();  // reaches the first output only
  const Tensor y = session.run(inputs)[0].tensor;
  EXPECT_TRUE(std::isnan(y.f32()[0]));
  const float rest = expected_after_conv({1})[0];
  for (int i = 1; i < 4; ++i) EXPECT_NEAR(y.f32()[i], rest, 1e-5);
}

TEST(OnnxSession, NamesAMissingAnUnknownOrAMistypedInput) {
  OnnxSession session(conv_bn_model(), "conv_bn.onnx", {}, {.threads = 1});
  std::map<std::string, Tensor> inputs = conv_bn_inputs({1, 0, 0, -1});
  inputs.erase("mean");
  EXPECT_THROW(
      try { session.run(inputs); } catch (const Error& e) {
        EXPECT_STREQ(e.what(),
                     "conv_bn.onnx: node 'bn' (BatchNormalization): input 4 ('mean') must be known when the model is "
                     "loaded (a weight, a shape), but it is a graph input without a value; give it one (cnnzoo run "
                     "--input mean=FILE.npy)");
        throw;
      },
      Error);
  inputs = conv_bn_inputs({1, 0, 0, -1});
  inputs.emplace("z", Tensor({1}));
  EXPECT_THROW(
      try { session.run(inputs); } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "conv_bn.onnx: a value is given for 'z', which is not an input of the graph");
        throw;
      },
      Error);
  inputs = conv_bn_inputs({1, 0, 0, -1});
  inputs.at("b") = Tensor({1}, DType::I64);
  EXPECT_THROW(
      try { session.run(inputs); } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "conv_bn.onnx: input 'b': is float32, its value is int64; give float32 values");
        throw;
      },
      Error);
  // A failed compilation leaves nothing half made: the next good run compiles and runs.
  expect_values(session.run(conv_bn_inputs({1, 0, 0, -1}))[0].tensor, expected_after_conv({1, 1, 1, 1}));
}

// y = Reshape(x, shape): x 1x4, `shape` an int64 graph input.
std::string reshape_model() {
  onnx::ModelProto m = test::onnx_model_header();
  onnx::GraphProto& g = *m.mutable_graph();
  test::add_float_input(g, "x", {1, 4});
  test::add_typed_input(g, "shape", onnx::TensorProto::INT64, {2});
  add_node(g, "Reshape", {"x", "shape"}, "y");
  g.add_output()->set_name("y");
  return m.SerializeAsString();
}

TEST(OnnxSession, TakesAnInt64ShapeAsInt64OrAsIntegralFloats) {
  OnnxSession session(reshape_model(), "reshape.onnx", {}, {.threads = 1});
  Tensor shape({2}, DType::I64);
  shape.i64()[0] = 2;
  shape.i64()[1] = -1;
  const Tensor x = values({1, 4}, {1, 2, 3, 4});
  Tensor y = session.run({{"x", x}, {"shape", shape}})[0].tensor;
  EXPECT_EQ(y.shape(), (Dims{2, 2}));
  EXPECT_EQ(std::vector<float>(y.f32().begin(), y.f32().end()), (std::vector<float>{1, 2, 3, 4}));
  // As `cnnzoo run` reads an int64 .npy: float32 holding integers.
  y = session.run({{"x", x}, {"shape", values({2}, {4, 1})}})[0].tensor;
  EXPECT_EQ(y.shape(), (Dims{4, 1}));
  EXPECT_EQ(session.compilations(), 2);
  EXPECT_THROW(
      try {
        session.run({{"x", x}, {"shape", values({2}, {2, 2.5})}});
      } catch (const Error& e) {
        EXPECT_STREQ(
            e.what(),
            "reshape.onnx: input 'shape': is INT64, but element 1 of its value is 2.5, not an integer of int64");
        throw;
      },
      Error);
  // An integral float beyond int64 is no integer it can hold (converting it would be undefined).
  EXPECT_THROW(session.run({{"x", x}, {"shape", values({2}, {2, 1e30f})}}), Error);
  // Without a value, the import says which input wants one and how to give it.
  EXPECT_THROW(
      try { import_onnx_bytes(reshape_model(), "reshape.onnx"); } catch (const Error& e) {
        EXPECT_STREQ(e.what(),
                     "reshape.onnx: input 'shape': element type INT64 is not supported (float32 is; an int64 or int32 "
                     "input is when its value is given before the run: cnnzoo run --input shape=FILE.npy)");
        throw;
      },
      Error);
}

// An initializer the file also lists as an input is that input's default value (ONNX IR version 3 and later): a value
// given at run time replaces it, and without one the initializer holds.
TEST(OnnxSession, AValueGivenForAnInitializerListedAsInputReplacesIt) {
  onnx::ModelProto m = test::onnx_model_header();
  onnx::GraphProto& g = *m.mutable_graph();
  test::add_float_input(g, "x", {1, 2});
  test::add_float_input(g, "k", {1, 2});
  onnx::TensorProto* k = g.add_initializer();
  k->set_name("k");
  k->set_data_type(onnx::TensorProto::FLOAT);
  k->add_dims(1);
  k->add_dims(2);
  k->add_float_data(10);
  k->add_float_data(20);
  add_node(g, "Add", {"x", "k"}, "y");
  g.add_output()->set_name("y");
  const Tensor x = values({1, 2}, {1, 2});
  OnnxSession session(m.SerializeAsString(), "default.onnx", {}, {.threads = 1});
  Tensor y = session.run({{"x", x}})[0].tensor;
  EXPECT_EQ(std::vector<float>(y.f32().begin(), y.f32().end()), (std::vector<float>{11, 22}));
  y = session.run({{"x", x}, {"k", values({1, 2}, {100, 200})}})[0].tensor;
  EXPECT_EQ(std::vector<float>(y.f32().begin(), y.f32().end()), (std::vector<float>{101, 202}));
}

}  // namespace
}  // namespace cnnzoo
