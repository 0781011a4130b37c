// `cnnzoo summary` as a torchinfo user reads it: shapes with the batch, folded rows said so, the name of
// what was built, labelled units, no non-zero figure printed as 0, the nested view and the parameter split.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/run_cli.h"

namespace cnnzoo {
namespace {

using test::run_cli;

// The line of the table that starts with `name` (after any tree drawing), or "" when there is none.
std::string line_of(const std::string& out, const std::string& name) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const auto start = line.find(name + " ");
    if (start == std::string::npos) continue;
    const std::string before = line.substr(0, start);
    if (before.find_first_not_of(" ") == std::string::npos || before.ends_with("─")) return line;
  }
  return "";
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

TEST(CliSummary, TableShowsTheBatchTheFoldedNodesAndTheParameterSplit) {
  const auto r = run_cli("summary resnet18 --batch 32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("resnet18: input 3x224x224, batch 32, 32 rows: the papers' layers, a convolution or linear "
                        "layer with the batch norm, activation, LRN and dropout after it folded in",
                        0),
            0u)
      << r.out;
  // layer, kind, input, output, memory (KiB), params, MACs (M), FLOPs (M), RF, folded in
  // memory: 32 x 64 x 112 x 112 x 4 bytes = 100,352 KiB; MACs 32 x 118,013,952; FLOPs 32 x (2 x MACs +
  // 3 x 802,816 for the batch norm's multiply and add and the ReLU).
  EXPECT_EQ(words(line_of(r.out, "conv1")),
            (std::vector<std::string>{"conv1", "conv+batchnorm+relu", "32x3x224x224", "32x64x112x112", "100352.0",
                                      "9,536", "3776.4", "7630.0", "7", "bn1", "+128,", "relu"}))
      << r.out;
  EXPECT_EQ(words(line_of(r.out, "layer1.0.conv1"))[9], "bn1");  // named within its block
  EXPECT_NE(r.out.find("memory (KiB)"), std::string::npos);
  EXPECT_NE(r.out.find("RF: receptive field, the input pixels"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("input, output: shapes N x C x H x W, batch first"), std::string::npos);
  EXPECT_NE(r.out.find("\ntotal params         11,689,512 (44.6 MiB fp32)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  trainable          11,689,512 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  non-trainable      0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nbuffers              9,620 "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("(KB)"), std::string::npos) << r.out;
}

TEST(CliSummary, AllNodesShowsConvolutionAndBatchNormApartAsTorchinfo) {
  const auto r = run_cli("summary resnet18 --all-nodes");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("one per graph node"), std::string::npos) << r.out;
  EXPECT_EQ(words(line_of(r.out, "conv1"))[5], "9,408");
  EXPECT_EQ(words(line_of(r.out, "bn1"))[1], "batchnorm");
  EXPECT_EQ(words(line_of(r.out, "bn1"))[5], "128");
}

TEST(CliSummary, HeaderNamesWhatWasBuilt) {
  auto r = run_cli("summary resnet56 --depth 110");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("resnet110: input 3x32x32, batch 1, ", 0), 0u) << r.out.substr(0, 200);
  r = run_cli("summary wrn28_10 --depth 40 --width 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("wrn40_4: input 3x32x32, batch 1, ", 0), 0u) << r.out.substr(0, 200);
  r = run_cli("summary wrn28_10 --depth 40 --width 4 --format json");
  EXPECT_EQ(nlohmann::json::parse(r.out)["model"], "wrn40_4");
}

TEST(CliSummary, SmallFiguresAreNotPrintedAsZero) {
  // resnet20's classifier: 64 x 10 = 640 multiply-adds, 2 x 640 + 10 = 1,290 FLOPs, 10 x 4 = 40 bytes. Its
  // receptive field: 7 3x3 convolutions at jump 1 (15), 6 at jump 2 (+24), 6 at jump 4 (+48), then the 8x8
  // global pool at jump 4 (+28): 109.
  const auto r = run_cli("summary resnet20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(words(line_of(r.out, "fc")),
            (std::vector<std::string>{"fc", "linear", "1x64", "1x10", "0.039", "650", "0.00064", "0.0013", "109"}))
      << r.out;
  for (const std::string& w : words(r.out)) EXPECT_NE(w, "0.0") << r.out;
}

TEST(CliSummary, NestedViewByModuleDepth) {
  const auto r = run_cli("summary resnet18 --depth-view 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("the module tree to depth 2 (1 = stages, 2 = blocks, 3 = layers)"), std::string::npos);
  // layer1: four 3x3 convolutions 64 -> 64 (36,864 each) and four batch norms (128 each); a block is half.
  const auto stage = words(line_of(r.out, "layer1"));
  ASSERT_FALSE(stage.empty()) << r.out;
  EXPECT_EQ(stage[0], "├─layer1");
  EXPECT_EQ(stage[1], "module");
  EXPECT_EQ(stage[2], "1x64x56x56");
  EXPECT_EQ(stage[5], "147,968");
  const auto block = words(line_of(r.out, "layer1.0"));
  ASSERT_FALSE(block.empty()) << r.out;
  EXPECT_EQ(block[0], "│");
  EXPECT_EQ(block[1], "└─layer1.0");
  EXPECT_EQ(block[6], "73,984");
  EXPECT_EQ(line_of(r.out, "layer1.0.conv1"), "");  // depth 3 is not shown
  EXPECT_NE(run_cli("summary resnet18 --depth-view 3").out.find("│    │    └─layer1.0.conv1 "), std::string::npos);

  const auto bad = run_cli("summary resnet18 --depth-view 0");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err,
            "cnnzoo: error: --depth-view must be a module depth of at least 1 (1 = stages, 2 = blocks, 3 = layers), "
            "got 0\n");
  EXPECT_EQ(run_cli("summary resnet18 --depth-view 2 --all-nodes").exit_code, 2);
}

TEST(CliSummary, ActivationTotalIsTheSameInEveryView) {
  auto total = [](const std::string& flags) {
    const auto r = run_cli("summary googlenet --batch 2 --format json " + flags);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["total"]["activation_bytes"].get<int64_t>();
  };
  const int64_t layers = total("");
  EXPECT_EQ(total("--all-nodes"), layers);
  EXPECT_EQ(total("--depth-view 1"), layers);
  EXPECT_EQ(total("--depth-view 3"), layers);
}

TEST(CliSummary, JsonAndCsvCarryTheSameRows) {
  const auto json = run_cli("summary resnet18 --batch 4 --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["view"], "layers");
  EXPECT_EQ(j["input_shape"], (std::vector<int>{4, 3, 224, 224}));
  EXPECT_EQ(j["total"]["trainable_params"], 11689512);
  EXPECT_EQ(j["total"]["non_trainable_params"], 0);
  const auto& conv1 = j["layers"][0];
  EXPECT_EQ(conv1["kind"], "conv+batchnorm+relu");
  EXPECT_EQ(conv1["input_shape"], (std::vector<int>{4, 3, 224, 224}));
  EXPECT_EQ(conv1["output_shape"], (std::vector<int>{4, 64, 112, 112}));
  EXPECT_EQ(conv1["output"], (std::vector<int>{64, 112, 112}));
  EXPECT_EQ(conv1["folded"][0]["name"], "bn1");
  EXPECT_EQ(conv1["folded"][0]["params"], 128);

  const auto csv = run_cli("summary resnet18 --batch 4 --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("name,op,kind,output,input_shape,output_shape,params,buffers,macs,flops,activation_bytes,"
                          "receptive_field,folded,level\n"
                          "conv1,conv,conv+batchnorm+relu,64x112x112,4x3x224x224,4x64x112x112,9536,129,472055808,",
                          0),
            0u)
      << csv.out;
  EXPECT_NE(csv.out.find(",7,bn1;relu,0\n"), std::string::npos);
  EXPECT_NE(csv.out.find("\ntotal,,,,,,11689512,9620,"), std::string::npos) << csv.out;
}

TEST(CliSummary, CompareCsvRatiosArePlainNumbers) {
  const auto r = run_cli("compare alexnet vgg16 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "metric,alexnet,vgg16,ratio 2/1");
  std::getline(in, line);
  EXPECT_EQ(line, "output,1000,1000,") << "the output row has no ratio";
  int metrics = 0;
  while (std::getline(in, line)) {
    const std::string ratio = line.substr(line.rfind(',') + 1);
    std::size_t used = 0;
    EXPECT_GT(std::stod(ratio, &used), 0.0) << line;
    EXPECT_EQ(used, ratio.size()) << line;
    ++metrics;
  }
  EXPECT_EQ(metrics, 6);
  EXPECT_NE(r.out.find("\nparams,61100840,138357544,2.26"), std::string::npos) << r.out;
}

TEST(CliSummary, HelpExplainsTheColumnsAndTheViews) {
  const auto r = run_cli("summary --help");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--depth-view"), std::string::npos);
  EXPECT_NE(r.out.find("RF = receptive field"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in KiB (1024 bytes)"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cnnzoo
