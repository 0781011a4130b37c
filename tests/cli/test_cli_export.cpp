// cnnzoo export: the file it writes, the line it prints and the errors a user meets.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/run_cli.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "cnnzoo/onnx.h"
#include "cnnzoo/quantization.h"

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
  EXPECT_EQ(r.out, fmt::format("wrote {}: 269,722 parameters, 73 nodes, opset 13, fp32 ({:.1f} MiB)\n", out,
                               static_cast<double>(expected.size()) / 1048576.0));
  std::filesystem::remove(out);
}

// int8 export reads the ranges `cnnzoo quantize` stored with the weights (tests/e2e/int8_onnx.sh runs a file it
// wrote); without them it says what to do, and cnnzoo's importer refuses a quantized file by name.
TEST(CliExport, Int8NeedsStoredRangesAndTheImporterRefusesItsFile) {
  const std::string out = temp("int8.onnx");
  auto r = run_cli(fmt::format("export resnet20 --precision int8 --output {}", out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "cnnzoo: error: --precision int8: give --weights FILE with int8 ranges (a checkpoint or state_dict that "
            "`cnnzoo quantize` wrote)\n");
  const Graph graph = build_model("resnet20");
  TensorFile file;
  for (const auto& [name, tensor] : test_parameters(graph, 5)) file.tensors.emplace_back(name, tensor);
  const std::string weights = temp("plain.safetensors");
  write_safetensors(weights, file);
  r = run_cli(fmt::format("export resnet20 --weights {} --precision int8 --output {}", weights, out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --precision int8: {} holds no int8 ranges; calibrate it first with "
                               "`cnnzoo quantize` and export the file it writes\n",
                               weights));
  EXPECT_FALSE(std::filesystem::exists(out));

  Quantization q = calibrate_on_random(graph, test_parameters(graph, 5), 4, 1);
  file.metadata[kQuantizationKey] = quantization_json(q);
  write_safetensors(weights, file);
  r = run_cli(fmt::format("export resnet20 --weights {} --precision int8 --output {}", weights, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("opset 13, int8 in QDQ form"), std::string::npos) << r.out;
  const std::string x = temp("x.npy");
  write_npy(x, test_uniform("x", {1, 3, 32, 32}, 1, -1, 1));
  r = run_cli(fmt::format("run {} {}", out, x));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind(fmt::format("cnnzoo: error: {}: node 'input.QuantizeLinear' (QuantizeLinear): a quantized "
                                    "(int8) ONNX model is not imported",
                                    out),
                        0),
            0u)
      << r.err;
  std::filesystem::remove(out);
  std::filesystem::remove(weights);
  std::filesystem::remove(x);
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
