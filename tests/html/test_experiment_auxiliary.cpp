// `experiment auxiliary --quick` through the CLI: the three GoogLeNets' runs, the figure, the report in headless
// Chromium; and the finding's verdict on runs with known figures (a results.json written by hand and kept by
// --resume).
#include <fmt/format.h>
#include <gtest/gtest.h>

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

struct Auxiliary {
  static constexpr const char* kName = "auxiliary";
};
using ExperimentAuxiliary = test::QuickExperiment<Auxiliary>;

TEST_F(ExperimentAuxiliary, QuickRunTrainsTheThreeGoogLeNetsOn64PixelImages) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const nlohmann::json j = results();
  EXPECT_EQ(j["experiment"], "auxiliary");
  EXPECT_EQ(j["image_size"], 64);
  EXPECT_EQ(j["schedule"]["lr"], 0.01);
  std::set<std::string> keys;
  for (const nlohmann::json& run : j["runs"]) {
    keys.insert(run["model"].get<std::string>());
    ASSERT_EQ(run["step_loss"].size(), 2u);  // 128 images in batches of 64
    ASSERT_EQ(run["test_error"].size(), 1u);
  }
  EXPECT_EQ(keys, (std::set<std::string>{"googlenet_paper_aux", "googlenet_paper", "googlenet"}));
  // The heads add 0.3 x their cross-entropy to the loss: at the start, each near ln 10, so the net with heads
  // begins near 1.6 x ln 10 and the others near ln 10.
  for (const nlohmann::json& run : j["runs"]) {
    const double first = run["step_loss"][0];
    const double expected = run["model"] == "googlenet_paper_aux" ? 1.6 * std::log(10.0) : std::log(10.0);
    EXPECT_NEAR(first, expected, 0.25 * expected) << run["model"];
  }
  // The run folders hold checkpoints of the networks as built, the paper's with its heads.
  const std::string meta = test::slurp((*dir_ / "runs" / "googlenet_paper_aux_seed0" / "last.safetensors").string());
  EXPECT_NE(meta.find("aux1.fc2.weight"), std::string::npos);
  const std::string finding = j["finding"];
  EXPECT_FALSE(j["reproduced"].get<bool>()) << finding;  // two steps teach nothing: the BN net has not learned
  EXPECT_NE(first_->out.find(finding), std::string::npos) << first_->out;
}

TEST_F(ExperimentAuxiliary, FigureParsesAndTheReportRendersInChromium) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const std::string svg = test::slurp((*dir_ / "auxiliary_error.svg").string());
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_NE(svg.find("data-label=\"BN, without aux heads test (solid)\""), std::string::npos);
  const char* shots = std::getenv("CNNZOO_SCREENSHOT_DIR");
  const std::string png = (fs::path(shots ? shots : ::testing::TempDir()) / "experiment_auxiliary.png").string();
  const test::RenderedPage page = test::render_in_chromium((*dir_ / "report.html").string(), png, 1500);
  EXPECT_TRUE(test::rendered_cleanly(page, 1));
}

nlohmann::json made_up_run(const std::string& key, double test_error) {
  return {{"model", key},         {"seed", 0},
          {"train_error", {0.3}}, {"test_error", {test_error}},
          {"train_loss", {0.9}},  {"step_loss", {1.0, 0.8}},
          {"seconds", 1.0}};
}

TEST_F(ExperimentAuxiliary, TheFindingFollowsTheFigures) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const auto verdict = [&](double with_aux, double without_aux, double bn) {
    const fs::path dir = *dir_ / "made_up";
    fs::remove_all(dir);
    fs::create_directories(dir);
    nlohmann::json j = results();
    j["runs"] = {made_up_run("googlenet_paper_aux", with_aux), made_up_run("googlenet_paper", without_aux),
                 made_up_run("googlenet", bn)};
    std::ofstream(dir / "results.json") << j.dump();
    const auto r = run_cli("experiment auxiliary --quick --resume --out " + dir.string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("run 1/3"), std::string::npos) << r.out;
    return nlohmann::json::parse(test::slurp((dir / "results.json").string()));
  };
  nlohmann::json j = verdict(0.20, 0.25, 0.15);
  EXPECT_TRUE(j["reproduced"].get<bool>());
  EXPECT_EQ(j["finding"],
            "Batch norm does what the auxiliary classifiers were for: GoogLeNet with BN and no auxiliary heads 15.0% "
            "test error (30.0% training); the paper's net without BN 20.0% test error (30.0% training) with its heads "
            "and 25.0% test error (30.0% training) without them, so the heads helped it.");
  j = verdict(0.20, 0.20, 0.204);  // within half a point: as well
  EXPECT_TRUE(j["reproduced"].get<bool>());
  EXPECT_NE(j["finding"].get<std::string>().find("so the heads did not help it here"), std::string::npos);
  j = verdict(0.20, 0.25, 0.30);  // the heads beat BN
  EXPECT_FALSE(j["reproduced"].get<bool>());
  EXPECT_EQ(j["finding"].get<std::string>().rfind("Not reproduced: ", 0), 0u);
}

}  // namespace
}  // namespace cnnzoo
