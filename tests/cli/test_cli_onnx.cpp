// cnnzoo run and summary on an ONNX file (tests/data/onnx, from scripts/make_onnx_fixtures.py).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli/run_cli.h"
#include "cnnzoo/io.h"
#include "support/onnx_builder.h"

namespace cnnzoo {
namespace {

using test::run_cli;

const std::string kDir = std::string(CNNZOO_TEST_DATA) + "/onnx/";
const std::string kModel = kDir + "small_cnn.onnx";

std::string temp(const std::string& name) {
  return ::testing::TempDir() + "cnnzoo_onnx_" + std::to_string(::getpid()) + "_" + name;
}

void expect_matches_pytorch(const std::string& path) {
  const Tensor got = read_npy(path);
  const Tensor want = read_npy(kDir + "output.npy");
  ASSERT_EQ(got.shape(), want.shape());
  for (std::size_t i = 0; i < want.f32().size(); ++i) EXPECT_NEAR(got.f32()[i], want.f32()[i], 1e-6) << i;
}

TEST(CliOnnx, RunWritesPyTorchsOutputs) {
  const std::string out = temp("y.npy");
  auto r = run_cli(fmt::format("run {} --input {}input.npy --output {}", kModel, kDir, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_matches_pytorch(out);
  // By name, and every output into a folder as NAME.npy.
  const std::string dir = temp("outputs");
  r = run_cli(fmt::format("run {} --input image={}input.npy --output-dir {}", kModel, kDir, dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_matches_pytorch(dir + "/probabilities.npy");
}

TEST(CliOnnx, RunErrorsNameWhatIsWrong) {
  const std::string out = temp("y.npy");
  // Without --output it prints the top classes; this model ends in a softmax, whose values are shown as they are.
  auto r = run_cli(fmt::format("run {} --input {}input.npy --top 1", kModel, kDir));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const Tensor want = read_npy(kDir + "output.npy");
  const auto row = want.f32().first(static_cast<std::size_t>(want.shape()[1]));
  const auto top = std::max_element(row.begin(), row.end());
  EXPECT_EQ(r.out.substr(0, r.out.find('\n', r.out.find('\n') + 1) + 1),
            fmt::format("{}input.npy[0]\n  {:6.2f}%  class {}\n", kDir, 100 * *top, top - row.begin()));
  r = run_cli(fmt::format("run {0} --input {1}input.npy --input {1}input.npy --output {2}", kModel, kDir, out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the model has 1 input (image), all given already"), std::string::npos) << r.err;
  // An image of another size reaches the node that cannot take it.
  const std::string big = temp("big.npy");
  write_npy(big, Tensor({1, 3, 20, 20}));
  r = run_cli(fmt::format("run {} --input {} --output {}", kModel, big, out));
  EXPECT_EQ(r.err, "cnnzoo: error: " + kModel +
                       ": node '/fc/Gemm' (Gemm): linear expects 128 input features, got 200 (input 1x200)\n");
  // A truncated file names the file.
  const std::string cut = temp("cut.onnx");
  {
    std::ifstream in(kModel, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  }
  r = run_cli(fmt::format("run {} --input {}input.npy --output {}", cut, kDir, out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("cnnzoo: error: " + cut + ": ", 0), 0u) << r.err;
}

// The same network exported with export_params=False: every weight and statistic is a graph input, given by name
// from its own .npy file, and the output is PyTorch's.
TEST(CliOnnx, RunTakesWeightsGivenAsInputs) {
  const std::string model = kDir + "small_cnn_weights_as_inputs.onnx";
  std::string weights;
  for (const char* name : {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                           "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"}) {
    weights += fmt::format(" --input {0}={1}/onnx_small_cnn_weights/{0}.npy", name, CNNZOO_TEST_DATA);
  }
  const std::string out = temp("y_weights_as_inputs.npy");
  auto r = run_cli(fmt::format("run {} --input image={}input.npy{} --output {}", model, kDir, weights, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_matches_pytorch(out);
  // One left out: named, with the flag that gives it.
  const std::string without_mean = weights.substr(0, weights.find(" --input bn1.running_mean")) +
                                   weights.substr(weights.find(" --input bn1.running_var"));
  r = run_cli(fmt::format("run {} --input image={}input.npy{} --output {}", model, kDir, without_mean, out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "cnnzoo: error: the model's input 'bn1.running_mean' has no --input (its inputs: image, conv1.weight, "
            "bn1.weight, bn1.bias, bn1.running_mean, bn1.running_var, conv2.weight, conv2.bias, fc.weight, "
            "fc.bias)\n");
}

// y = x + k, k an initializer the file also lists as an input (as keep_initializers_as_inputs writes weights): the
// initializer is k's default, and --input k=FILE.npy replaces it.
TEST(CliOnnx, RunReplacesAnInitializerListedAsAnInput) {
  onnx::ModelProto m = test::onnx_model_header();
  onnx::GraphProto& g = *m.mutable_graph();
  test::add_float_input(g, "x", {1, 2});
  test::add_float_input(g, "k", {1, 2});
  onnx::TensorProto& k = *g.add_initializer();
  k.set_name("k");
  k.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {1, 2}) k.add_dims(d);
  for (float v : {10.0f, 20.0f}) k.add_float_data(v);
  test::add_node(g, "Add", {"x", "k"}, "y");
  g.add_output()->set_name("y");
  const std::string model = temp("default.onnx"), x = temp("x12.npy"), k2 = temp("k12.npy"), out = temp("y12.npy");
  std::ofstream(model, std::ios::binary) << m.SerializeAsString();
  const float ones[] = {1, 2}, other[] = {100, 200};
  write_npy(x, Tensor({1, 2}, ones));
  write_npy(k2, Tensor({1, 2}, other));
  auto r = run_cli(fmt::format("run {} --input {} --output {}", model, x, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto values = [&] {
    const Tensor y = read_npy(out);
    return std::vector<float>(y.f32().begin(), y.f32().end());
  };
  EXPECT_EQ(values(), (std::vector<float>{11, 22}));
  r = run_cli(fmt::format("run {} --input {} --input k={} --output {}", model, x, k2, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(values(), (std::vector<float>{101, 202}));
}

// A scalar constant (Pow's exponent, as torch.onnx writes LayerNorm's square at opset 13) is a row without a batch
// dimension: every format of summary prints it (JSON and the table used to stop with an internal error).
TEST(CliOnnx, SummaryTakesAScalarConstant) {
  onnx::ModelProto m = test::onnx_model_header();
  onnx::GraphProto& g = *m.mutable_graph();
  test::add_float_input(g, "x", {1, 2});
  onnx::TensorProto& two = *g.add_initializer();
  two.set_name("two");
  two.set_data_type(onnx::TensorProto::FLOAT);
  two.add_float_data(2.0f);
  test::add_node(g, "Pow", {"x", "two"}, "y");
  g.add_output()->set_name("y");
  const std::string model = temp("scalar.onnx");
  std::ofstream(model, std::ios::binary) << m.SerializeAsString();
  for (const char* format : {"json", "csv", "markdown", "table"}) {
    const auto r = run_cli(fmt::format("summary {} --format {}", model, format));
    EXPECT_EQ(r.exit_code, 0) << format << ": " << r.err;
    EXPECT_NE(r.out.find("y.const1"), std::string::npos) << format << ": " << r.out;  // the exponent's row
  }
}

TEST(CliOnnx, SummaryAnalysesTheImportedGraph) {
  auto r = run_cli(fmt::format("summary {} --format json", kModel));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"params\": 1461"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"macs\": 92800"), std::string::npos) << r.out;
  // --batch fills the symbolic batch.
  r = run_cli(fmt::format("summary {} --batch 4 --format json", kModel));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"batch\": 4"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cnnzoo
