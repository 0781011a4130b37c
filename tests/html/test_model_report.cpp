// `cnnzoo report MODEL...`: the figures a model report states, counted by hand, and the page as a reader
// sees it in headless Chromium.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/run_cli.h"
#include "cnnzoo/html_report.h"
#include "cnnzoo/models.h"
#include "support/chromium.h"

namespace cnnzoo {
namespace {

using test::run_cli;
namespace fs = std::filesystem;

std::string temp(const std::string& name) {
  return ::testing::TempDir() + "cnnzoo_report_" + std::to_string(::getpid()) + "_" + name;
}

std::string alexnet_report() {
  static const std::string html = model_report_html({{"alexnet", "alexnet", build_model("alexnet")}});
  return html;
}

TEST(ModelReport, StatesAlexNetsTotalsAsCountedByHand) {
  const std::string html = alexnet_report();
  // conv 23,296 + 307,392 + 663,936 + 884,992 + 590,080; fc 37,752,832 + 16,781,312 + 4,097,000.
  EXPECT_NE(html.find("61,100,840"), std::string::npos);
  // conv 70,276,800 + 223,948,800 + 112,140,288 + 149,520,384 + 99,680,256; fc 37,748,736 + 16,777,216 + 4,096,000.
  EXPECT_NE(html.find("714,188,480"), std::string::npos);
  EXPECT_NE(html.find("56.52%"), std::string::npos) << "torchvision's published top-1";
}

TEST(ModelReport, SaysWhereAlexNetsMemoryParametersAndComputeSit) {
  // The first 3 of 13 rows (conv 64x55x55, pool 64x27x27, conv 192x27x27) keep 1,520,896 of the 2,403,744
  // activation bytes: 63.3%. The fully connected layers hold 58,631,144 of 61,100,840 parameters: 96.0%.
  // The convolutions do 655,566,528 of 714,188,480 multiply-adds: 91.8%.
  EXPECT_NE(alexnet_report().find("The first quarter of the layers (3 of 13) holds 63.3% of the activation memory; "
                                  "fully connected layers hold 96.0% of the parameters; convolutions do 91.8% of the "
                                  "multiply-adds."),
            std::string::npos);
}

TEST(ModelReport, BreaksTheTrainingMemoryDown) {
  const std::string html = alexnet_report();
  // Weights and momentum: 61,100,840 x 4 bytes = 233.1 MiB each.
  EXPECT_NE(html.find("<td>weights</td><td>233.1 MiB</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>SGD momentum</td><td>233.1 MiB</td>"), std::string::npos);
}

TEST(ModelReport, PublishedAccuracyIsTorchvisionsForItsModelsOnly) {
  ASSERT_TRUE(published_accuracy("resnet50"));
  EXPECT_DOUBLE_EQ(published_accuracy("resnet50")->top1, 76.13);
  EXPECT_EQ(published_accuracy("resnet50")->weights, "ResNet50_Weights.IMAGENET1K_V1");
  EXPECT_DOUBLE_EQ(published_accuracy("googlenet")->top5, 89.53);
  EXPECT_DOUBLE_EQ(published_accuracy("inception_v3")->top1, 77.294);
  EXPECT_FALSE(published_accuracy("resnet50_v1")) << "not torchvision's architecture";
  EXPECT_FALSE(published_accuracy("resnet20"));
}

TEST(ModelReport, OneModelRendersOfflineWithEveryChartDrawn) {
  const std::string file = temp("resnet50.html"), png = temp("resnet50.png");
  const auto r = run_cli(fmt::format("report resnet50 --output {}", file));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote " + file), std::string::npos);
  const test::RenderedPage page = test::render_in_chromium(file, png);
  // Three per-layer charts, the training-memory doughnut, the network's overview and its four stages
  // (layer1..layer4) drawn in full.
  EXPECT_TRUE(test::rendered_cleanly(page, 9));
  EXPECT_GT(fs::file_size(png), 20000u);
}

TEST(ModelReport, SeveralModelsSideBySideWithRatiosAndAccuracy) {
  const std::string file = temp("zoo.html");
  const auto r = run_cli(fmt::format("report alexnet vgg16 googlenet resnet20 --output {}", file));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = test::slurp(file);
  // VGG-16's 138,357,544 parameters are 2.26x AlexNet's 61,100,840; its 15,470,264,320 MACs 21.66x.
  EXPECT_NE(html.find("<td class=\"num\">138,357,544</td><td class=\"num\">2.26x</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">21.66x</td>"), std::string::npos);
  EXPECT_NE(html.find("No published ImageNet accuracy for: resnet20."), std::string::npos);
  const test::RenderedPage page = test::render_in_chromium(file);
  EXPECT_TRUE(test::rendered_cleanly(page, 4)) << "parameters, MACs, memory, accuracy against compute";
}

TEST(ModelReport, AnOnnxFileIsReportedByItsPath) {
  const std::string file = temp("onnx.html");
  const std::string model = std::string(CNNZOO_TEST_DATA) + "/onnx/small_cnn.onnx";
  const auto r = run_cli(fmt::format("report {} --output {}", model, file));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(test::slurp(file).find("<title>" + model + "</title>"), std::string::npos);
}

TEST(ModelReport, BadTargetsAndOutputsGetOneClearLine) {
  auto r = run_cli(fmt::format("report alexnett --output {}", temp("x.html")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("alexnet"), std::string::npos) << r.err;
  r = run_cli("report alexnet");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--output is required"), std::string::npos) << r.err;
  r = run_cli(fmt::format("report alexnet --output {}/no/such/folder/x.html", temp("missing")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no/such/folder/x.html"), std::string::npos) << r.err;
  const std::string folder = temp("empty_folder");
  fs::create_directories(folder);
  r = run_cli(fmt::format("report {} --output {}", folder, temp("y.html")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("a folder without metrics.csv or results.json"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(temp("y.html")));
}

TEST(ModelReport, ReplacesAnEarlierReportButNoOtherFile) {
  const std::string file = temp("replace.html");
  ASSERT_EQ(run_cli(fmt::format("report resnet20 --output {}", file)).exit_code, 0);
  ASSERT_EQ(run_cli(fmt::format("report resnet20 --output {}", file)).exit_code, 0) << "a report is replaced";
  const std::string other = temp("metrics.csv");
  std::ofstream(other) << "epoch,lr\n";
  const auto r = run_cli(fmt::format("report resnet20 --output {}", other));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --output {}: the file exists and is not an HTML page; a report "
                               "replaces only an earlier report, so choose another name\n",
                               other));
  EXPECT_EQ(test::slurp(other), "epoch,lr\n");
}

TEST(ModelReport, AnExperimentFolderGivesItsReportAndAForeignOneIsNamed) {
  const std::string dir = temp("experiment");
  ASSERT_EQ(run_cli(fmt::format("experiment design --out {} --overwrite", dir)).exit_code, 0);
  const std::string file = temp("experiment.html");
  auto r = run_cli(fmt::format("report {} --output {}", dir, file));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::slurp(file), test::slurp(dir + "/report.html"));
  std::ofstream(dir + "/results.json") << R"({"experiment": "no-such"})";
  r = run_cli(fmt::format("report {} --output {}", dir, file));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no-such"), std::string::npos) << r.err;
  std::ofstream(dir + "/results.json") << R"({"experiment": "design"})";
  std::ofstream(dir + "/report.html") << "<html>someone else's page</html>";
  r = run_cli(fmt::format("report {} --output {}", dir, file));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(dir + "/report.html: not a report cnnzoo wrote"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cnnzoo
