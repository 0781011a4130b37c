// `experiment design`: its numbers against hand counts and published figures, its findings, and the command's
// files and errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "experiments/design_measures.h"
#include "support/xml_check.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

TEST(ExperimentDesign, FiveByFiveAgainstTwoThreeByThreeByHand) {
  const experiments::ConvPair p = experiments::measure_conv_pair(64, 56);
  EXPECT_EQ(p.one_5x5.params, 25 * 64 * 64);  // 102,400
  EXPECT_EQ(p.two_3x3.params, 18 * 64 * 64);  // 73,728
  EXPECT_EQ(p.one_5x5.params, 102400);
  EXPECT_EQ(p.two_3x3.params, 73728);
  EXPECT_EQ(p.one_5x5.macs, int64_t{25} * 64 * 64 * 56 * 56);  // 321,126,400
  EXPECT_EQ(p.two_3x3.macs, int64_t{18} * 64 * 64 * 56 * 56);  // 231,211,008
  EXPECT_EQ(p.one_5x5.receptive_field, Hw(5));
  EXPECT_EQ(p.two_3x3.receptive_field, Hw(5));
  EXPECT_EQ(p.one_5x5.nonlinearities, 1);
  EXPECT_EQ(p.two_3x3.nonlinearities, 2);
}

TEST(ExperimentDesign, VggSixteenConvolutionCostsByHand) {
  const std::vector<experiments::VggConv> convs = experiments::measure_vgg16_convs();
  ASSERT_EQ(convs.size(), 13u);
  // conv1_1: 224 x 224 x 64 outputs of 3 x 3 x 3 MACs each.
  EXPECT_EQ(convs[0].macs, int64_t{224} * 224 * 64 * 27);  // 86,704,128
  const int64_t rule = int64_t{224} * 224 * 64 * 64 * 9;   // 1,849,688,064
  for (const std::size_t i : {1u, 3u, 5u, 6u, 8u, 9u}) EXPECT_EQ(convs[i].macs, rule) << convs[i].name;
  for (const std::size_t i : {2u, 4u, 7u}) EXPECT_EQ(convs[i].macs, rule / 2) << convs[i].name;  // 924,844,032
  for (const std::size_t i : {10u, 11u, 12u}) EXPECT_EQ(convs[i].macs, int64_t{14} * 14 * 512 * 512 * 9);
  EXPECT_EQ(convs[4].stage, 3);
  EXPECT_EQ(convs[12].stage, 5);
  EXPECT_EQ(convs[12].name, "features.28");
}

TEST(ExperimentDesign, GoogLeNetStemAgainstVggByHandAndTheLecture) {
  const experiments::StemComparison s = experiments::measure_stems();
  EXPECT_EQ(s.googlenet_stem.label, "googlenet to maxpool2");
  EXPECT_EQ(s.googlenet_stem.params, 124736);  // the lecture's 124 K
  // conv1 7x7x3 -> 64 at 112x112, conv2 1x1 64 -> 64 and conv3 3x3 64 -> 192 at 56x56.
  EXPECT_EQ(s.googlenet_stem.macs, int64_t{112} * 112 * 64 * 147 + 56 * 56 * 64 * 64 + 56 * 56 * 192 * 576);
  EXPECT_EQ(s.googlenet_stem.macs, 477675520);
  // Outputs 64x112x112, 64x56x56 (twice), 192x56x56, 192x28x28, fp32: 7.46 MiB, the lecture's 7.5 MB.
  EXPECT_EQ(s.googlenet_stem.activation_bytes, (64 * 112 * 112 + 2 * 64 * 56 * 56 + 192 * 56 * 56 + 192 * 28 * 28) * 4);
  EXPECT_EQ(s.vgg_to_28.label, "vgg16 to features.16");
  EXPECT_EQ(s.vgg_to_28.params, 1735488);
  // The lecture's VGG-16 figures, 42.9 MB / 1.1 M / 7,485 MFLOP, are conv1_1 .. conv3_2 without the pools.
  EXPECT_EQ(s.vgg_six_convs.params, 1145408);
  EXPECT_EQ(s.vgg_six_convs.macs, 7485456384);
  EXPECT_EQ(s.vgg_six_convs.activation_bytes, (2 * 224 * 224 * 64 + 2 * 112 * 112 * 128 + 2 * 56 * 56 * 256) * 4);
  EXPECT_NEAR(static_cast<double>(s.vgg_six_convs.activation_bytes) / (1 << 20), 42.9, 0.05);
}

TEST(ExperimentDesign, BlocksHeadsAlexNetSeAndDenseNetByHand) {
  const std::vector<experiments::Cost> blocks = experiments::measure_blocks();
  EXPECT_EQ(blocks[0].params, 2 * 9 * 64 * 64);                    // 73,728
  EXPECT_EQ(blocks[1].params, 2 * 9 * 256 * 256);                  // 1,179,648
  EXPECT_EQ(blocks[2].params, 256 * 64 + 9 * 64 * 64 + 64 * 256);  // 69,632
  EXPECT_EQ(blocks[2].macs, int64_t{69632} * 56 * 56);

  const std::vector<experiments::Head> heads = experiments::measure_heads();
  EXPECT_EQ(heads[0].head_params, 1024 * 1000 + 1000);  // GoogLeNet's fc
  EXPECT_EQ(heads[1].head_params, (25088 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000));
  EXPECT_EQ(heads[1].total_params, 138357544);

  const Analysis alexnet = experiments::measure_alexnet();
  const auto fc6 = std::find_if(alexnet.layers.begin(), alexnet.layers.end(),
                                [](const LayerRow& r) { return r.name == "classifier.1"; });
  ASSERT_NE(fc6, alexnet.layers.end());
  EXPECT_EQ(fc6->params, 37748736 + 4096);                               // 9216 x 4096 weights, 4096 biases
  EXPECT_EQ(alexnet.layers.front().activation_bytes, 64 * 56 * 56 * 4);  // the lecture's 784 KB

  const std::vector<experiments::SePair> se = experiments::measure_se();
  EXPECT_EQ(se[2].se, "se_resnet50");
  EXPECT_EQ(se[2].plain_params, 25557032);  // He et al. 2015 / torchvision v1: 25.6 M
  EXPECT_EQ(se[2].se_params, 28088024);     // Hu et al. 2018, Table 2: 28.1 M

  const std::vector<experiments::DenseBlock> dense = experiments::measure_densenet121();
  ASSERT_EQ(dense.size(), 4u);
  EXPECT_EQ(dense[0].in_channels, (std::vector<int64_t>{64, 96, 128, 160, 192, 224}));
  EXPECT_EQ(dense[0].out_channels, 256);
  EXPECT_EQ(dense[3].in_channels.size(), 16u);
  EXPECT_EQ(dense[3].out_channels, 1024);
}

class ExperimentDesignCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("cnnzoo_design_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ExperimentDesignCli, WritesResultsFiguresAndReportAndSaysTheFindings) {
  const auto r = run_cli("experiment design --out " + dir_.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("with 73,728 instead of 102,400 parameters and 231.2 M instead of 321.1 M MACs"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("costs the same 1,849.7 M MACs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GoogLeNet's stem (googlenet to maxpool2) reaches 28x28 with 7.5 MiB of activations, 124,736 "
                       "parameters and 477.7 M MACs"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("the fully connected layers 96.0% of the parameters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("adds k = 32 channels"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Not reproduced"), std::string::npos) << r.out;

  const nlohmann::json j = nlohmann::json::parse(test::slurp((dir_ / "results.json").string()));
  EXPECT_EQ(j["experiment"], "design");
  EXPECT_EQ(j["reproduced"], true);
  EXPECT_EQ(j["items"]["conv_5x5_vs_two_3x3"]["two_3x3"]["params"], 73728);
  EXPECT_EQ(j["items"]["googlenet_stem_vs_vgg16"]["lecture_rows_match_six_convs"], true);
  EXPECT_EQ(j["items"]["vgg16_stages"]["rule_macs"], 1849688064);
  int svgs = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (entry.path().extension() != ".svg") continue;
    ++svgs;
    const std::string svg = test::slurp(entry.path().string());
    EXPECT_EQ(test::xml_problem(svg), "") << entry.path();
    EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos) << entry.path();
  }
  EXPECT_EQ(svgs, 10);
  EXPECT_TRUE(fs::exists(dir_ / "report.html"));
}

TEST_F(ExperimentDesignCli, AFolderWithResultsNeedsOverwriteAndTrainingOptionsAreRefused) {
  ASSERT_EQ(run_cli("experiment design --out " + dir_.string()).exit_code, 0);
  auto r = run_cli("experiment design --out " + dir_.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("already holds an experiment's results"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pass --overwrite to start again, or another --out"), std::string::npos) << r.err;
  EXPECT_EQ(run_cli("experiment design --overwrite --out " + dir_.string()).exit_code, 0);

  r = run_cli("experiment design --epochs 3 --out " + dir_.string() + "_other");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "cnnzoo: error: --epochs: experiment 'design' has no training runs and takes no --epochs\n");
  EXPECT_FALSE(fs::exists(dir_.string() + "_other"));  // refused before the folder is made

  r = run_cli("experiment desing --out " + dir_.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown experiment 'desing'; did you mean 'design'?"), std::string::npos) << r.err;
  r = run_cli("experiment design");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--out: give a folder"), std::string::npos) << r.err;
  r = run_cli("experiment design --seeds 0 --out " + dir_.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--seeds"), std::string::npos) << r.err;
}

TEST(ExperimentList, NamesEachExperimentWithItsTime) {
  const auto r = run_cli("experiment list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\ndesign        instant"), std::string::npos) << r.out;
  EXPECT_EQ(run_cli("experiment --help").exit_code, 0);
}

}  // namespace
}  // namespace cnnzoo
