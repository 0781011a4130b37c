// cnnzoo run: weights from safetensors, inputs and outputs as .npy, and the errors for bad files.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "cli/run_cli.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

using test::run_cli;

// Per process: CTest runs these tests in parallel processes.
std::string temp(const std::string& name) {
  return ::testing::TempDir() + "cnnzoo_run_" + std::to_string(::getpid()) + "_" + name;
}

// resnet20's test weights as a state_dict file, and an input: what a user brings from PyTorch.
struct Files {
  std::string weights = temp("resnet20.safetensors");
  std::string input = temp("x.npy");
  std::string output = temp("y.npy");
  Graph graph = build_model("resnet20", {.batch = 2});
  Parameters parameters = test_parameters(graph, 5);
  Tensor x = test_uniform("input", {2, 3, 32, 32}, 5, -1, 1);
  Files() {
    TensorFile file;
    for (const Node& n : graph.nodes()) {
      for (const ParamSpec& p : n.params) file.tensors.emplace_back(p.name, parameters.at(p.name));
    }
    write_safetensors(weights, file);
    write_npy(input, x);
  }
};

TEST(CliRun, WeightsFileGivesTheEnginesLogits) {
  const Files f;
  const auto r = run_cli(
      fmt::format("run resnet20 --weights {} --input {} --output {} --threads 1", f.weights, f.input, f.output));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor y = read_npy(f.output);
  InferenceEngine engine(f.graph, f.parameters);
  const Tensor expected = engine.run(f.x)[0];
  ASSERT_EQ(y.shape(), (Dims{2, 10}));
  for (std::size_t i = 0; i < 20; ++i) EXPECT_FLOAT_EQ(y.f32()[i], expected.f32()[i]);
}

TEST(CliRun, SeededInitialisationIsRepeatable) {
  const Files f;
  const std::string other = temp("y2.npy");
  ASSERT_EQ(run_cli(fmt::format("run resnet20 --seed 3 --input {} --output {}", f.input, f.output)).exit_code, 0);
  ASSERT_EQ(run_cli(fmt::format("run resnet20 --seed 3 --input {} --output {}", f.input, other)).exit_code, 0);
  const Tensor a = read_npy(f.output), b = read_npy(other);
  for (std::size_t i = 0; i < 20; ++i) EXPECT_EQ(a.f32()[i], b.f32()[i]);
  ASSERT_EQ(run_cli(fmt::format("run resnet20 --seed 4 --input {} --output {}", f.input, other)).exit_code, 0);
  EXPECT_NE(read_npy(other).f32()[0], a.f32()[0]);
}

TEST(CliRun, BadFilesGetClearErrors) {
  const Files f;
  // A truncated weights file names the file.
  const std::string cut = temp("cut.safetensors");
  {
    std::ifstream in(f.weights, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  auto r = run_cli(fmt::format("run resnet20 --weights {} --input {} --output {}", cut, f.input, f.output));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("cnnzoo: error: " + cut + ":", 0), 0u) << r.err;
  // Weights of another model name what does not fit.
  r = run_cli(fmt::format("run resnet32 --weights {} --input {} --output {}", f.weights, f.input, f.output));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("weights do not fit resnet32: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing (layer1.3.conv1.weight"), std::string::npos) << r.err;
  // A wrong channel count and a non-image array.
  const std::string gray = temp("gray.npy");
  write_npy(gray, Tensor({1, 1, 32, 32}));
  r = run_cli(fmt::format("run resnet20 --input {} --output {}", gray, f.output));
  EXPECT_EQ(r.err,
            "cnnzoo: error: " + gray + ": resnet20 takes 3 input channels (as 3x32x32), got 1 (shape 1x1x32x32)\n");
  const std::string flat = temp("flat.npy");
  write_npy(flat, Tensor({4, 3}));
  r = run_cli(fmt::format("run resnet20 --input {} --output {}", flat, f.output));
  EXPECT_EQ(r.err, "cnnzoo: error: " + flat + ": expected an NxCxHxW array, got shape 4x3\n");
  // An input too small names the node where a size reaches zero.
  const std::string tiny = temp("tiny.npy");
  write_npy(tiny, Tensor({1, 3, 8, 8}));
  EXPECT_EQ(run_cli(fmt::format("run alexnet --input {} --output {}", tiny, f.output)).exit_code, 1);
  // A missing input file.
  r = run_cli(fmt::format("run resnet20 --input {} --output {}", temp("nothing.npy"), f.output));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(temp("nothing.npy")), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cnnzoo
