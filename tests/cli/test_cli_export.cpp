// cnnzoo export: the file it writes, the line it prints and the errors a user meets.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/run_cli.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "cnnzoo/onnx.h"

namespace cnnzoo {
namespace {

using test::run_cli;

// Per process: CTest runs these tests in parallel processes.
std::string temp(const std::string& name) {
  return ::testing::TempDir() + "cnnzoo_export_" + std::to_string(::getpid()) + "_" + name;
}

TEST(CliExport, WritesTheSeededModel) {
  const std::string out = temp("resnet20.onnx");
  const auto r = run_cli(fmt::format("export resnet20 --seed 3 --batch 2 --output {}", out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Graph graph = build_model("resnet20", {.batch = 2});
  const std::string expected = export_onnx_bytes(graph, init_parameters(graph, init_scheme_for("resnet20"), 3));
  EXPECT_EQ(test::slurp(out), expected);
  EXPECT_EQ(r.out, fmt::format("wrote {}: 269,722 parameters, 73 nodes, opset 13 ({:.1f} MiB)\n", out,
                               static_cast<double>(expected.size()) / 1048576.0));
  std::filesystem::remove(out);
}

TEST(CliExport, WeightsFromAFile) {
  const Graph graph = build_model("resnet20");
  const Parameters parameters = test_parameters(graph, 5);
  TensorFile file;
  for (const auto& [name, tensor] : parameters) file.tensors.emplace_back(name, tensor);
  const std::string weights = temp("resnet20.safetensors");
  write_safetensors(weights, file);
  const std::string out = temp("weights.onnx");
  const auto r = run_cli(fmt::format("export resnet20 --weights {} --output {}", weights, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::slurp(out), export_onnx_bytes(graph, parameters));
  std::filesystem::remove(out);
  std::filesystem::remove(weights);
}

TEST(CliExport, ErrorsNameWhatIsWrong) {
  const std::string out = temp("alexnet.onnx");
  auto r = run_cli(fmt::format("export alexnet --input 3x256x256 --output {}", out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cnnzoo: error: avgpool: cannot export to ONNX: adaptive average pooling from 7x7 to 6x6"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  r = run_cli("export nosuchnet --output " + out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nosuchnet"), std::string::npos) << r.err;
  EXPECT_EQ(run_cli("export resnet20").exit_code, 2);  // --output is required
  r = run_cli("export --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--output"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cnnzoo
