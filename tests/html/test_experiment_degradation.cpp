// `experiment degradation --quick` through the CLI: results.json's structure and values, the figures, the report
// in headless Chromium, --resume keeping the finished runs, and bad options. One quick run (about a minute on 2
// busy cores) serves every test.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/run_cli.h"
#include "html/quick_experiment.h"
#include "support/chromium.h"
#include "support/xml_check.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

struct Degradation {
  static constexpr const char* kName = "degradation";
};
using ExperimentDegradation = test::QuickExperiment<Degradation>;

TEST_F(ExperimentDegradation, QuickRunWritesEveryRunWithItsErrorsPerEpoch) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const nlohmann::json j = results();
  EXPECT_EQ(j["experiment"], "degradation");
  EXPECT_EQ(j["schedule"]["epochs"], 1);
  EXPECT_EQ(j["schedule"]["subset"], 256);
  // The warm-up (half of a one-epoch run) reaches fit(): the first of the two steps warms up at 0.01, the second
  // starts the cosine at 0.1, the rate metrics.csv records for the epoch (with fit's 0.2 epochs, rounded to no
  // warm-up, the second step would run at 0.05).
  EXPECT_EQ(j["schedule"]["warmup_epochs"], 0.5);
  const std::string csv = test::slurp((*dir_ / "runs" / "plain20_seed0" / "metrics.csv").string());
  EXPECT_NE(csv.find("\n1,0.1,"), std::string::npos) << csv;
  std::set<std::string> models;
  ASSERT_EQ(j["runs"].size(), 4u);
  for (const nlohmann::json& run : j["runs"]) {
    models.insert(run["model"].get<std::string>());
    EXPECT_EQ(run["seed"], 0);
    for (const char* key : {"train_error", "test_error", "train_loss"}) {
      ASSERT_EQ(run[key].size(), 1u) << key;
      const double v = run[key][0].get<double>();
      EXPECT_TRUE(std::isfinite(v)) << key;
      if (std::string(key) != "train_loss")
        EXPECT_TRUE(v >= 0 && v <= 1) << key << " " << v;
      else
        EXPECT_GT(v, 0);
    }
  }
  EXPECT_EQ(models, (std::set<std::string>{"plain20", "plain56", "resnet20", "resnet56"}));
  for (const std::string& m : models) {
    EXPECT_EQ(j["summary"][m]["runs"], 1) << m;
    EXPECT_EQ(j["summary"][m]["final_train_error"]["sd"], 0.0) << m;
  }
  // The finding follows the data: its numbers are the runs' own, and it says "not reproduced" when they disagree.
  const std::string finding = j["finding"];
  EXPECT_EQ(j["reproduced"].get<bool>(), finding.rfind("Not reproduced", 0) != 0) << finding;
  const double p56 = j["summary"]["plain56"]["final_train_error"]["mean"];
  EXPECT_NE(finding.find(fmt::format("{:.1f}%", 100 * p56)), std::string::npos) << finding;
  EXPECT_NE(first_->out.find(finding), std::string::npos) << first_->out;
  EXPECT_NE(first_->out.find("run 4/4: resnet56 seed 0"), std::string::npos) << first_->out;
}

TEST_F(ExperimentDegradation, FiguresParseAndTheReportRendersInChromium) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  for (const char* file : {"degradation_error.svg", "degradation_loss.svg"}) {
    const std::string svg = test::slurp((*dir_ / file).string());
    ASSERT_FALSE(svg.empty()) << file;
    EXPECT_EQ(test::xml_problem(svg), "") << file;
    EXPECT_NE(svg.find(">plain networks</text>"), std::string::npos) << file;
    EXPECT_NE(svg.find(">residual networks</text>"), std::string::npos) << file;
  }
  const char* shots = std::getenv("CNNZOO_SCREENSHOT_DIR");
  const std::string png = (fs::path(shots ? shots : ::testing::TempDir()) / "experiment_degradation.png").string();
  const test::RenderedPage page = test::render_in_chromium((*dir_ / "report.html").string(), png, 1500);
  EXPECT_TRUE(test::rendered_cleanly(page, 2));
  EXPECT_TRUE(fs::exists(png));
}

TEST_F(ExperimentDegradation, ResumeKeepsTheFinishedRunsAndRunsNothingAgain) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const nlohmann::json before = results();
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_cli("experiment degradation --quick --resume --out " + dir_->string());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(seconds, 10);
  EXPECT_EQ(r.out.find("run 1/4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kept: resnet56 seed 0"), std::string::npos) << r.out;
  EXPECT_EQ(results()["runs"], before["runs"]);
  EXPECT_EQ(results()["finding"], before["finding"]);
}

TEST_F(ExperimentDegradation, AFinishedFolderAndBadOptionsGetOneClearLine) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  auto r = run_cli("experiment degradation --quick --out " + dir_->string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pass --resume to continue it, --overwrite to start again, or another --out"), std::string::npos)
      << r.err;
  r = run_cli("experiment degradation --quick --epochs 2 --resume --out " + dir_->string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--resume: the results there were made with"), std::string::npos) << r.err;
  r = run_cli("experiment degradation --resume --overwrite --out " + dir_->string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--resume and --overwrite exclude each other"), std::string::npos) << r.err;
  for (const char* bad : {"--seeds 0", "--epochs 0", "--subset -1", "--threads -1", "--epochs x"}) {
    r = run_cli(std::string("experiment degradation --quick ") + bad + " --out " + dir_->string() + "_bad");
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(std::string(bad).substr(0, std::string(bad).find(' '))), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir_->string() + "_bad"));
}

}  // namespace
}  // namespace cnnzoo
