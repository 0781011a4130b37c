// `experiment batchnorm --quick` through the CLI: every run's per-epoch errors and per-step losses, the figures,
// the report in headless Chromium; and the finding's verdict on runs with known figures (a results.json written
// by hand and kept by --resume), including a run that diverged.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

struct Batchnorm {
  static constexpr const char* kName = "batchnorm";
};
using ExperimentBatchnorm = test::QuickExperiment<Batchnorm>;

const std::set<std::string> kKeys = {"plain20", "plain20_nobn", "plain56", "plain56_nobn"};

TEST_F(ExperimentBatchnorm, QuickRunRecordsEveryStepOfTheFourNets) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const nlohmann::json j = results();
  EXPECT_EQ(j["experiment"], "batchnorm");
  EXPECT_EQ(j["schedule"]["subset"], 256);
  EXPECT_EQ(j["schedule"]["lr"], 0.1);
  EXPECT_EQ(j["schedule"]["warmup_epochs"], 0.2);  // fit()'s own
  std::set<std::string> keys;
  for (const nlohmann::json& run : j["runs"]) {
    keys.insert(run["model"].get<std::string>());
    ASSERT_EQ(run["train_loss"].size(), 1u);
    ASSERT_EQ(run["step_loss"].size(), 2u);  // 256 images in batches of 128
    // The epoch's mean loss is the mean of its two equal batches' losses.
    const double a = run["step_loss"][0], b = run["step_loss"][1];
    EXPECT_NEAR(run["train_loss"][0].get<double>(), (a + b) / 2, 1e-6) << run["model"];
    EXPECT_FALSE(run.contains("diverged"));
  }
  EXPECT_EQ(keys, kKeys);
  EXPECT_NEAR(j["chance_loss"].get<double>(), std::log(10.0), 1e-12);
  const std::string finding = j["finding"];
  EXPECT_EQ(j["reproduced"].get<bool>(), finding.rfind("Not reproduced", 0) != 0) << finding;
  EXPECT_NE(finding.find("after 2 steps"), std::string::npos) << finding;
  EXPECT_NE(first_->out.find(finding), std::string::npos) << first_->out;
  EXPECT_NE(first_->out.find("plain-56 without BN"), std::string::npos) << first_->out;
}

TEST_F(ExperimentBatchnorm, FiguresParseAndTheReportRendersInChromium) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  for (const char* file : {"batchnorm_loss.svg", "batchnorm_error.svg"}) {
    const std::string svg = test::slurp((*dir_ / file).string());
    EXPECT_EQ(test::xml_problem(svg), "") << file;
    EXPECT_NE(svg.find(">plain-20</text>"), std::string::npos) << file;
    EXPECT_NE(svg.find(">plain-56</text>"), std::string::npos) << file;
    EXPECT_NE(svg.find("data-label=\"plain-56 without BN"), std::string::npos) << file;
  }
  EXPECT_NE(test::slurp((*dir_ / "batchnorm_loss.svg").string()).find("data-label=\"chance (ln 10)\""),
            std::string::npos);
  const char* shots = std::getenv("CNNZOO_SCREENSHOT_DIR");
  const std::string png = (fs::path(shots ? shots : ::testing::TempDir()) / "experiment_batchnorm.png").string();
  const test::RenderedPage page = test::render_in_chromium((*dir_ / "report.html").string(), png, 1500);
  EXPECT_TRUE(test::rendered_cleanly(page, 2));
}

// A run of `key` with one epoch of the given final training error and loss, as results.json holds it.
nlohmann::json made_up_run(const std::string& key, double error, double loss, const std::string& diverged = "") {
  nlohmann::json run = {{"model", key},           {"seed", 0},
                        {"train_error", {error}}, {"test_error", {error}},
                        {"train_loss", {loss}},   {"step_loss", {loss, loss}},
                        {"seconds", 1.0}};
  if (!diverged.empty()) {
    run["diverged"] = diverged;
    run["train_error"] = run["test_error"] = run["train_loss"] = nlohmann::json::array();
  }
  return run;
}

// The verdict follows the figures: runs written by hand into results.json (with the quick run's schedule) are
// kept by --resume, so the finding is computed from them without training.
TEST_F(ExperimentBatchnorm, TheFindingFollowsTheFigures) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const auto verdict = [&](const std::vector<nlohmann::json>& runs) {
    const fs::path dir = *dir_ / "made_up";
    fs::create_directories(dir);
    nlohmann::json j = results();
    j["runs"] = runs;
    std::ofstream(dir / "results.json") << j.dump();
    const auto r = run_cli("experiment batchnorm --quick --resume --out " + dir.string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("run 1/4"), std::string::npos) << r.out;  // nothing trained
    return nlohmann::json::parse(test::slurp((dir / "results.json").string()));
  };
  nlohmann::json j = verdict({made_up_run("plain20", 0.12, 0.35), made_up_run("plain20_nobn", 0.45, 1.2),
                              made_up_run("plain56", 0.31, 0.85), made_up_run("plain56_nobn", 0.9, 2.302)});
  EXPECT_TRUE(j["reproduced"].get<bool>()) << j["finding"];
  EXPECT_EQ(j["finding"],
            "Batch norm makes the deep plain net trainable: after 2 steps at lr 0.1, plain-56 with BN: training error "
            "31.0%, loss 0.850; without BN: training error 90.0%, loss 2.302 (chance: loss 2.303, error 90%); plain-20 "
            "with BN: training error 12.0%, loss 0.350; without: training error 45.0%, loss 1.200.");
  // A diverged net does not train either; it is counted apart from the finished runs.
  j = verdict({made_up_run("plain20", 0.12, 0.35), made_up_run("plain20_nobn", 0.45, 1.2),
               made_up_run("plain56", 0.31, 0.85), made_up_run("plain56_nobn", 0, 0, "epoch 1 batch 2")});
  EXPECT_TRUE(j["reproduced"].get<bool>()) << j["finding"];
  EXPECT_NE(j["finding"].get<std::string>().find("without BN: the loss turned NaN or infinite at epoch 1 batch 2"),
            std::string::npos)
      << j["finding"];
  EXPECT_EQ(j["summary"]["plain56_nobn"]["diverged_runs"], 1);
  EXPECT_EQ(j["summary"]["plain56_nobn"]["runs"], 0);
  // Without BN the deep net trained as well: not reproduced, and the sentence says so.
  j = verdict({made_up_run("plain20", 0.12, 0.35), made_up_run("plain20_nobn", 0.45, 1.2),
               made_up_run("plain56", 0.31, 0.85), made_up_run("plain56_nobn", 0.4, 1.1)});
  EXPECT_FALSE(j["reproduced"].get<bool>());
  EXPECT_EQ(j["finding"].get<std::string>().rfind("Not reproduced: ", 0), 0u) << j["finding"];
}

}  // namespace
}  // namespace cnnzoo
