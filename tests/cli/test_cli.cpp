// The CLI as a user meets it: outputs, formats, exit codes and the messages for bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "cli/run_cli.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

using test::run_cli;

TEST(Cli, ListShowsEveryModel) {
  const auto r = run_cli("list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const ModelInfo& m : list_models()) EXPECT_NE(r.out.find(m.name), std::string::npos) << m.name;
}

TEST(Cli, ListAsJson) {
  const auto r = run_cli("list --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), list_models().size());
  for (const auto& m : j) {
    if (m["name"] == "resnet50") {
      EXPECT_EQ(m["params"], 25557032);
      EXPECT_EQ(m["macs"], 4089184256LL);
      EXPECT_EQ(m["input"], (std::vector<int>{3, 224, 224}));
      EXPECT_EQ(m["torchvision"], true);
    }
  }
}

TEST(Cli, SummaryJsonHasTheDocumentedKeys) {
  const auto r = run_cli("summary resnet50 --format json --batch 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["model"], "resnet50");
  EXPECT_EQ(j["input"], (std::vector<int>{3, 224, 224}));
  EXPECT_EQ(j["batch"], 2);
  EXPECT_EQ(j["total"]["params"], 25557032);
  EXPECT_EQ(j["total"]["macs"], 2 * 4089184256LL);
  for (const char* key : {"buffers", "flops", "activation_bytes", "param_bytes", "training_bytes"}) {
    EXPECT_TRUE(j["total"].contains(key)) << key;
  }
  const auto& first = j["layers"][0];
  EXPECT_EQ(first["name"], "conv1");
  EXPECT_EQ(first["op"], "conv");
  EXPECT_EQ(first["output"], (std::vector<int>{64, 112, 112}));  // per sample, as before
  EXPECT_EQ(first["output_shape"], (std::vector<int>{2, 64, 112, 112}));
  EXPECT_EQ(first["input_shape"], (std::vector<int>{2, 3, 224, 224}));
  EXPECT_EQ(first["activation_bytes"], 2 * 64 * 112 * 112 * 4);
  std::set<std::string> ops;
  for (const auto& l : j["layers"]) ops.insert(l["op"].get<std::string>());
  EXPECT_EQ(ops, (std::set<std::string>{"conv", "maxpool", "add", "adaptive_avgpool", "flatten", "linear"}));
}

TEST(Cli, SummaryTableReadsLikeTheLecture) {
  const auto r = run_cli("summary alexnet --input 3x227x227");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("alexnet: input 3x227x227, batch 1"), std::string::npos) << r.out;
  // The lecture's KB are KiB (1024 bytes), labelled so: conv1's 64x56x56 fp32 output is 784 KiB.
  EXPECT_NE(r.out.find("memory (KiB)"), std::string::npos);
  const auto conv1 = r.out.find("\nfeatures.0 ");
  ASSERT_NE(conv1, std::string::npos) << r.out;
  const std::string line = r.out.substr(conv1, r.out.find('\n', conv1 + 1) - conv1);
  EXPECT_NE(line.find(" 1x64x56x56 "), std::string::npos) << line;
  EXPECT_NE(line.find(" 784.0 "), std::string::npos) << line;
  EXPECT_NE(r.out.find("61,100,840"), std::string::npos);
}

TEST(Cli, SummaryUntilAsCsv) {
  const auto r = run_cli("summary googlenet --until maxpool2 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("name,op,kind,output,input_shape,output_shape,params,buffers,macs,flops,activation_bytes,"
                        "receptive_field,folded,level\n",
                        0),
            0u);
  EXPECT_NE(r.out.find("\nmaxpool2,maxpool,maxpool,192x28x28,1x192x56x56,1x192x28x28,0,0,0,"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\ntotal,,,,,,124736,"), std::string::npos) << r.out;
}

TEST(Cli, SummaryMarkdown) {
  const auto r = run_cli("summary resnet20 --format markdown");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| layer | kind | input | output | memory (KiB) | params | MACs (M) | FLOPs (M) | RF | folded "
                       "in |"),
            std::string::npos);
  EXPECT_NE(r.out.find("| conv1 | conv+batchnorm+relu | 1x3x32x32 | 1x16x32x32 | 64.0 | 464 |"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("RF: receptive field"), std::string::npos) << r.out;
}

TEST(Cli, CompareGivesRatios) {
  const auto r = run_cli("compare alexnet vgg16 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out)["models"];
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["params"], 138357544);
  EXPECT_DOUBLE_EQ(j[1]["params_ratio"].get<double>(), 138357544.0 / 61100840.0);
  EXPECT_DOUBLE_EQ(j[1]["macs_ratio"].get<double>(), 15470264320.0 / 714188480.0);
  const auto text = run_cli("compare alexnet vgg16");
  EXPECT_NE(text.out.find("2.26x"), std::string::npos) << text.out;  // the table keeps its "x"; CSV does not
  EXPECT_NE(text.out.find("21.66x"), std::string::npos) << text.out;
}

TEST(Cli, CompareGoogLeNetStemWithVggAtTheSameResolution) {
  const auto r = run_cli("compare googlenet:maxpool2 vgg16 --match-resolution --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out)["models"];
  EXPECT_EQ(j[0]["label"], "googlenet to maxpool2");
  EXPECT_EQ(j[1]["label"], "vgg16 to features.16");
  EXPECT_EQ(j[1]["output"], "256x28x28");
  EXPECT_EQ(j[1]["params"], 1735488);
}

TEST(Cli, UnknownModelListsTheKnownOnes) {
  const auto r = run_cli("summary resnet51");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("cnnzoo: error: unknown model 'resnet51'; did you mean 'resnet50', ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("? known models: alexnet, "), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, MalformedInputNamesTheFlag) {
  for (const char* bad : {"3x224", "3x224x", "ax224x224", "3x0x224", "3x224x224x1", "-3x224x224"}) {
    const auto r = run_cli(std::string("summary resnet18 --input ") + bad);
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_NE(r.err.find("--input: expected CxHxW"), std::string::npos) << bad << ": " << r.err;
  }
}

TEST(Cli, InputTooSmallNamesTheNode) {
  // 16 -> conv1 (16 + 4 - 11) / 4 + 1 = 3 -> pool1 1 -> conv2 1 -> pool2 cannot fit its 3x3 window.
  const auto r = run_cli("summary alexnet --input 3x16x16");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "cnnzoo: error: features.5: maxpool output height would be 0: input height 1 with padding 0+0 is smaller "
            "than the kernel span 3\n");
}

TEST(Cli, OtherMistakes) {
  EXPECT_EQ(run_cli("summary vgg16 --depth 20").err,
            "cnnzoo: error: model 'vgg16' does not take --depth (it takes: none)\n");
  EXPECT_EQ(run_cli("summary resnet18 --transform-input").err,
            "cnnzoo: error: model 'resnet18' does not take --transform-input (it takes: none)\n");
  EXPECT_EQ(run_cli("summary inception_v3 --transform-input --input 1x299x299").err,
            "cnnzoo: error: inception_v3's transform_input maps the 3 channels of an RGB image normalised by "
            "ImageNet's mean and std; this input has 1: drop the option or give a 3-channel input\n");
  EXPECT_EQ(run_cli("train --aux-weight 0.5 --epochs 1 --out " + ::testing::TempDir() + "cnnzoo_aux_weight").err,
            "cnnzoo: error: --aux-weight: resnet20 as built has no auxiliary classifier to weigh; add --aux-logits "
            "(GoogLeNet, Inception-v3) or drop the weight\n");
  // Beyond a double's range is still outside [0, 1] (it was taken as infinity).
  EXPECT_EQ(run_cli("train --aux-weight 1e400 --epochs 1 --out " + ::testing::TempDir() + "cnnzoo_aux_weight").err,
            "cnnzoo: error: --aux-weight: must lie in [0, 1], got 1e400 (see `cnnzoo train --help`)\n");
  EXPECT_EQ(run_cli("summary vgg16 --format yaml").err,
            "cnnzoo: error: --format: unknown format 'yaml'; known: table, markdown, csv, json\n");
  EXPECT_EQ(run_cli("summary resnet18 --until layer9").exit_code, 1);
  EXPECT_EQ(run_cli("summary resnet18 --batch 0").exit_code, 2);  // outside the flag's range
  EXPECT_EQ(run_cli("summary resnet18 --batch many").exit_code, 2);
  EXPECT_EQ(run_cli("").exit_code, 2);
  EXPECT_EQ(run_cli("frobnicate").exit_code, 2);
  EXPECT_EQ(run_cli("summary").exit_code, 2);
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* cmd : {"list", "summary", "compare", "run"}) {
    const auto r = run_cli(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find(std::string("Usage: cnnzoo ") + cmd), std::string::npos) << cmd << ": " << r.out;
  }
  EXPECT_NE(run_cli("summary --help").out.find("--until"), std::string::npos);
}

}  // namespace
}  // namespace cnnzoo
