// `run` on inputs holding NaN and infinity writes what PyTorch computes, and warns (issue 12). PyTorch's
// answers: tests/data/non_finite/, written by scripts/make_non_finite_fixtures.py.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/run_cli.h"
#include "cli/run_fixtures.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "support/non_finite_compare.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 12;  // SEED in scripts/make_non_finite_fixtures.py

std::string fixture(const std::string& name) { return std::string(CNNZOO_TEST_DATA) + "/non_finite/" + name; }

// The row: one NaN pixel in `run resnet20 --input x.npy` gave finite logits (oneDNN's ReLU made the
// NaN 0). Now the sample's logits are NaN, as in PyTorch, and the other sample's are PyTorch's numbers.
TEST(CliNonFinitePyTorch, Resnet20WithOneNaNPixelWritesNaNLogits) {
  const std::string dir = test::fresh_path("cnnzoo_non_finite_pytorch_", "d");
  std::filesystem::create_directories(dir);
  const Graph graph = build_model("resnet20", {.batch = 2});
  const Parameters parameters = test_parameters(graph, kSeed);
  TensorFile weights;
  for (const Node& n : graph.nodes()) {
    for (const ParamSpec& p : n.params) weights.tensors.emplace_back(p.name, parameters.at(p.name));
  }
  write_safetensors(dir + "/w.safetensors", weights);
  const std::string input = fixture("resnet20_nan_pixel.input.npy");

  const auto r = test::run_cli(
      fmt::format("run resnet20 --weights {0}/w.safetensors --input {1} --output {0}/y.npy --threads 1", dir, input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, fmt::format("cnnzoo: warning: the input {}[0] holds 1 NaN and 0 Inf values (first at [1, 5, 7]); "
                               "its batch runs on the reference interpreter, which carries NaN and Inf through as "
                               "PyTorch does (slower)\n"
                               "cnnzoo: warning: the output of fc holds 10 NaN and 0 Inf values (first at [0, 0])\n",
                               input));
  // No class ranks first in a row of NaN logits; the other sample's classes are printed as ever.
  EXPECT_EQ(r.out.find(fmt::format("{}[0]\n  no class: the logits hold NaN or +Inf\n{}[1]\n", input, input)), 0u)
      << r.out;
  EXPECT_NE(r.out.find("%  class "), std::string::npos) << r.out;
  const Tensor y = read_npy(dir + "/y.npy");
  EXPECT_EQ(test::count_nan(y), 10);
  EXPECT_EQ(test::non_finite_mismatch(y, read_npy(fixture("resnet20_nan_pixel.expected.npy")), 1e-4), "");
}

// `run relu.onnx` (and max pooling, softmax) on NaN and +-inf: PyTorch's output element by element.
TEST(CliNonFinitePyTorch, OneNodeOnnxModelsWritePyTorchsOutput) {
  const std::string dir = test::fresh_path("cnnzoo_non_finite_pytorch_", "onnx");
  std::filesystem::create_directories(dir);
  for (const std::string op : {"relu", "maxpool", "softmax"}) {
    const std::string output = dir + "/" + op + ".npy";
    const auto r = test::run_cli(fmt::format("run {} --input {} --output {} --threads 1", fixture(op + ".onnx"),
                                             fixture(op + ".input.npy"), output));
    ASSERT_EQ(r.exit_code, 0) << op << ": " << r.err;
    const Tensor expected = read_npy(fixture(op + ".expected.npy"));
    EXPECT_EQ(test::non_finite_mismatch(read_npy(output), expected, 1e-6), "") << op;
    EXPECT_NE(r.err.find("cnnzoo: warning: the input 'x' holds 3 NaN and 11 Inf values (first at [0, 0, 0, 0])"),
              std::string::npos)
        << op << ": " << r.err;
    EXPECT_NE(r.err.find(fmt::format("cnnzoo: warning: the output of y holds {} NaN", test::count_nan(expected))),
              std::string::npos)
        << op << ": " << r.err;
  }
}

}  // namespace
}  // namespace cnnzoo
