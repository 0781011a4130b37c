// A training folder's report: the curves of metrics.csv, the confusion matrix and per-class accuracy of
// evaluation.json; what `cnnzoo train` refreshes after every epoch; malformed files named with their fault.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "cnnzoo/html_report.h"
#include "fit/run_record.h"
#include "html/confusion_drawing.h"
#include "support/chromium.h"
#include "support/error_of.h"

namespace cnnzoo {
namespace {

using test::error_of;
using test::run_cli;
namespace fs = std::filesystem;

std::string temp_folder(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "cnnzoo_training_report_" + std::to_string(::getpid()) + "_" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Two epochs and a 3-class evaluation of 10 + 5 + 0 images.
std::string three_class_run(const std::string& name) {
  const std::string dir = temp_folder(name);
  fit_detail::write_metrics_csv(dir + "/metrics.csv", {{.epoch = 1,
                                                        .lr = 0.1,
                                                        .train_loss = 1.5,
                                                        .train_accuracy = 0.4,
                                                        .val_loss = 1.2,
                                                        .top1 = 0.5,
                                                        .top5 = 1,
                                                        .seconds = 3},
                                                       {.epoch = 2,
                                                        .lr = 0.01,
                                                        .train_loss = 0.7,
                                                        .train_accuracy = 0.7,
                                                        .val_loss = 0.8,
                                                        .top1 = 0.6,
                                                        .top5 = 1,
                                                        .seconds = 6}});
  fit_detail::EvaluationRecord record{.model = "resnet20",
                                      .data = "fashion-mnist",
                                      .epoch = 2,
                                      .class_names = {"cat", "dog <&>", "bird"},
                                      .evaluation = {}};
  record.evaluation.images = 15;
  record.evaluation.top1 = 0.6;
  record.evaluation.confusion = {{7, 3, 0}, {4, 1, 0}, {0, 0, 0}};
  record.evaluation.per_class = {0.7, 0.2, NAN};
  fit_detail::write_evaluation_json(dir + "/evaluation.json", record);
  return dir;
}

TEST(TrainingReport, PerClassAccuracyAndTheConfusionMatrixComeFromTheCounts) {
  const std::string html = training_report_html(three_class_run("counts"));
  // cat: 7 of 10 right; dog: 1 of 5; bird: no image.
  EXPECT_NE(html.find("<td>cat</td><td class=\"num\">10</td><td class=\"num\">70.0%</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>dog &lt;&amp;&gt;</td><td class=\"num\">5</td><td class=\"num\">20.0%</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td>bird</td><td class=\"num\">0</td><td>no image</td>"), std::string::npos);
  EXPECT_NE(html.find("<title>true cat, predicted dog &lt;&amp;&gt;: 3 of 10</title>"), std::string::npos);
  EXPECT_NE(html.find("2 epochs so far"), std::string::npos);
}

TEST(TrainingReport, ConfusionCellsAreShadedByTheirShareOfTheRow) {
  const std::string svg = html::confusion_svg({"a", "b"}, {{3, 1}, {0, 0}});
  // 3 of 4: white mixed 75% towards rgb(0,114,178); 0 of an empty row stays white.
  EXPECT_NE(svg.find("fill=\"rgb(64,149,197)\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("fill=\"rgb(191,220,236)\""), std::string::npos) << svg;
  size_t cells = 0;
  for (size_t at = svg.find("<rect"); at != std::string::npos; at = svg.find("<rect", at + 1)) ++cells;
  EXPECT_EQ(cells, 4u);
}

TEST(TrainingReport, MalformedRecordsAreNamedWithTheirFault) {
  const std::string dir = three_class_run("malformed");
  const std::string csv = dir + "/metrics.csv";
  write(csv, "epoch,lr\n1,0.1\n");
  EXPECT_EQ(error_of([&] { training_report_html(dir); }),
            csv +
                ":1: not a cnnzoo metrics.csv: the header should be "
                "'epoch,lr,train_loss,train_accuracy,val_loss,top1,top5,seconds'");
  write(csv, "epoch,lr,train_loss,train_accuracy,val_loss,top1,top5,seconds\n1,0.1,nan,0.4,1,0.5,1,3\n");
  EXPECT_EQ(error_of([&] { training_report_html(dir); }), csv + ":2: 'nan' is not a finite number");
  write(csv, "epoch,lr,train_loss,train_accuracy,val_loss,top1,top5,seconds\n2,0.1,1,0.4,1,0.5,1,3\n");
  EXPECT_EQ(error_of([&] { training_report_html(dir); }), csv + ":2: epoch 2 follows epoch 0");
  write(csv, "epoch,lr,train_loss,train_accuracy,val_loss,top1,top5,seconds\n1,0.1,1,0.4\n");
  EXPECT_EQ(error_of([&] { training_report_html(dir); }), csv + ":2: 4 fields, where the header has 8");

  fit_detail::write_metrics_csv(csv, {{.epoch = 1}});
  const std::string json = dir + "/evaluation.json";
  write(json, R"({"model": "m", "data": "d", "epoch": 1, "class_names": ["a", "b"], "images": 1, "top1": 1,
                  "top5": 1, "loss": 0, "confusion": [[1, 0]]})");
  EXPECT_EQ(error_of([&] { training_report_html(dir); }), json + ": a confusion matrix of 1 rows for 2 classes");
  write(json, R"({"model": "m", "data": "d", "epoch": 1, "class_names": ["a"], "images": 1, "top1": 1,
                  "top5": 1, "loss": 0, "confusion": [[-1]]})");
  EXPECT_EQ(error_of([&] { training_report_html(dir); }), json + ": the confusion matrix is not 1 x 1 counts");
  write(json, "[1, 2");
  EXPECT_NE(error_of([&] { training_report_html(dir); }).find(json + ": not a cnnzoo evaluation.json"),
            std::string::npos);
  fs::remove(json);
  EXPECT_EQ(error_of([&] { training_report_html(dir); }), json + ": no such file");
}

TEST(TrainingReport, TrainRefreshesTheReportAfterEveryEpochAndItRenders) {
  const std::string dir = temp_folder("train");
  const auto r = run_cli(fmt::format(
      "train --subset 256 --val-subset 200 --batch-size 64 --threads 2 --seed 5 --epochs 2 --out {} --overwrite", dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("report " + dir + "/report.html"), std::string::npos) << r.out;
  const auto evaluation = nlohmann::json::parse(test::slurp(dir + "/evaluation.json"));
  EXPECT_EQ(evaluation["epoch"], 2);
  EXPECT_EQ(evaluation["images"], 200);
  int64_t counted = 0;
  for (const auto& row : evaluation["confusion"]) {
    for (const auto& n : row) counted += n.get<int64_t>();
  }
  EXPECT_EQ(counted, 200) << "every evaluated image in the matrix once";
  const std::string html = test::slurp(dir + "/report.html");
  EXPECT_NE(html.find("2 epochs so far"), std::string::npos);
  const test::RenderedPage page = test::render_in_chromium(dir + "/report.html", dir + "/report.png");
  EXPECT_TRUE(test::rendered_cleanly(page, 5)) << "loss, accuracy, learning rate, the confusion matrix, per class";

  // `cnnzoo report DIR` writes the same page elsewhere.
  const auto again = run_cli(fmt::format("report {0} --output {0}/copy.html", dir));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(test::slurp(dir + "/copy.html"), html);
}

}  // namespace
}  // namespace cnnzoo
