// `experiment ensemble --quick` through the CLI: results.json's structure and values (each member's top-1 is its
// run's own last test error, each ensemble's top-1 is `cnnzoo eval --ensemble` on the same checkpoints and the
// members' averaged probabilities recomputed here), the figures, the report in headless Chromium, --resume
// keeping the finished runs and training only a new seed. One quick run serves every test.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "cli/run_cli.h"
#include "cnnzoo/ensemble.h"
#include "experiments/ensemble_scoring.h"
#include "support/chromium.h"
#include "support/experiment_run.h"
#include "support/xml_check.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

class ExperimentEnsemble : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { run_ = new test::ExperimentRun("ensemble", "--quick --threads 2"); }
  static void TearDownTestSuite() { delete run_; }
  static const nlohmann::json& run_of(const nlohmann::json& j, const std::string& model, int seed) {
    for (const nlohmann::json& r : j["runs"]) {
      if (r["model"] == model && r["seed"] == seed) return r;
    }
    throw std::runtime_error(fmt::format("no run of {} seed {}", model, seed));
  }
  static inline test::ExperimentRun* run_ = nullptr;
};

TEST_F(ExperimentEnsemble, QuickRunTrainsEveryMemberOnceAndScoresBothEnsembles) {
  ASSERT_EQ(run_->first.exit_code, 0) << run_->first.err;
  const nlohmann::json j = run_->results();
  EXPECT_EQ(j["experiment"], "ensemble");
  EXPECT_EQ(j["schedule"]["epochs"], 1);
  EXPECT_EQ(j["schedule"]["subset"], 256);
  EXPECT_EQ(j["schedule"]["val_subset"], 128);
  // Two ResNet-20 seeds (--quick's seed ensemble), WRN-16-2 and GoogLeNet once: ResNet-20 seed 0 serves both.
  std::set<std::pair<std::string, int>> runs;
  for (const nlohmann::json& run : j["runs"]) {
    runs.insert({run["model"].get<std::string>(), run["seed"].get<int>()});
    for (const char* key : {"train_error", "test_error", "train_loss"}) ASSERT_EQ(run[key].size(), 1u) << key;
  }
  EXPECT_EQ(runs, (std::set<std::pair<std::string, int>>{
                      {"resnet20", 0}, {"resnet20", 1}, {"wrn16_2", 0}, {"googlenet", 0}}));
  EXPECT_NE(run_->first.out.find("run 4/4: googlenet seed 0"), std::string::npos) << run_->first.out;

  const std::map<std::string, std::set<std::string>> expected = {
      {"seeds", {"ResNet-20 seed 0", "ResNet-20 seed 1"}},
      {"families", {"GoogLeNet (64x64)", "ResNet-20", "WRN-16-2"}}};
  for (const auto& [name, labels] : expected) {
    SCOPED_TRACE(name);
    const nlohmann::json& e = j["summary"][name];
    std::set<std::string> got;
    double previous = 2;
    for (const nlohmann::json& m : e["members"]) {
      got.insert(m["label"].get<std::string>());
      const double top1 = m["top1"];
      EXPECT_LE(top1, previous) << "members are listed best first";
      previous = top1;
      // The checkpoint's top-1 on the schedule's 128 test images is the one fit() measured after the epoch.
      const nlohmann::json& run = run_of(j, m["model"], m["seed"]);
      EXPECT_NEAR(top1, 1 - run["test_error"][0].get<double>(), 1e-12) << m["label"];
      EXPECT_EQ(m["checkpoint"],
                fmt::format("runs/{}_seed{}/last.safetensors", m["model"].get<std::string>(), m["seed"].get<int>()));
    }
    EXPECT_EQ(got, labels);
    ASSERT_EQ(e["ensemble_top1"].size(), labels.size());
    EXPECT_EQ(e["ensemble_top1"][0], e["members"][0]["top1"]) << "one member: the best one alone";
    EXPECT_EQ(e["best_member_top1"], e["members"][0]["top1"]);
    EXPECT_EQ(e["ensemble_top1_all"], e["ensemble_top1"].back());
    EXPECT_TRUE(e["left_out"].empty());
    const nlohmann::json& paired = e["against_best"];
    EXPECT_GE(paired["fixed"].get<int64_t>(), 0);
    EXPECT_GE(paired["broken"].get<int64_t>(), 0);
    // Fixing F of the best member's errors and breaking B moves the top-1 by (F - B) of the 128 test images.
    EXPECT_NEAR(e["ensemble_top1_all"].get<double>() - e["best_member_top1"].get<double>(),
                static_cast<double>(paired["fixed"].get<int64_t>() - paired["broken"].get<int64_t>()) / 128.0, 1e-12);
  }
  // --quick scores the mixed ensemble of seed 0 alone: the list per seed holds it, and the pooled figures are its own.
  const nlohmann::json& summary = j["summary"];
  ASSERT_EQ(summary["families_by_seed"].size(), 1u);
  EXPECT_EQ(summary["families_by_seed"][0], summary["families"]);
  const nlohmann::json& pooled = summary["families_pooled"];
  EXPECT_EQ(pooled["fixed"], summary["families"]["against_best"]["fixed"]);
  EXPECT_EQ(pooled["broken"], summary["families"]["against_best"]["broken"]);
  EXPECT_EQ(pooled["p_value"], summary["families"]["against_best"]["p_value"]);
  ASSERT_EQ(pooled["gain_per_seed"].size(), 1u);
  EXPECT_DOUBLE_EQ(pooled["gain_per_seed"][0].get<double>(), summary["families"]["ensemble_top1_all"].get<double>() -
                                                                 summary["families"]["best_member_top1"].get<double>());

  // The finding follows the data: its numbers are the ensembles' own, and "Not reproduced" when they disagree.
  const std::string finding = j["finding"];
  EXPECT_EQ(j["reproduced"].get<bool>(), finding.rfind("Not reproduced", 0) != 0) << finding;
  for (const char* name : {"seeds", "families"}) {
    const double all = j["summary"][name]["ensemble_top1_all"];
    const double best = j["summary"][name]["best_member_top1"];
    EXPECT_NE(finding.find(fmt::format("{:.1f}% top-1 against the best member's {:.1f}%", 100 * all, 100 * best)),
              std::string::npos)
        << finding;
    if (j["reproduced"].get<bool>()) {
      EXPECT_GT(all, best) << name;
    }
  }
  EXPECT_NE(run_->first.out.find(finding), std::string::npos) << run_->first.out;
}

TEST_F(ExperimentEnsemble, EnsembleTop1IsEvalEnsembleOnTheSameCheckpoints) {
  ASSERT_EQ(run_->first.exit_code, 0) << run_->first.err;
  const nlohmann::json j = run_->results();
  for (const char* name : {"seeds", "families"}) {
    SCOPED_TRACE(name);
    const nlohmann::json& e = j["summary"][name];
    // Every prefix of the best-first order: the curve's points, one `eval --ensemble` each.
    std::string paths;
    for (std::size_t k = 0; k < e["members"].size(); ++k) {
      paths += fmt::format(" {}", (run_->dir / e["members"][k]["checkpoint"].get<std::string>()).string());
      if (k == 0) continue;  // eval --ensemble of one member is the member itself, checked above
      const auto r = run_cli(fmt::format("eval --ensemble{} --subset 128 --threads 2 --format json", paths));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const nlohmann::json eval = nlohmann::json::parse(r.out);
      EXPECT_EQ(eval["ensemble"]["images"], 128);
      EXPECT_DOUBLE_EQ(eval["ensemble"]["top1"].get<double>(), e["ensemble_top1"][k].get<double>()) << k + 1;
      for (std::size_t m = 0; m <= k; ++m) {
        EXPECT_DOUBLE_EQ(eval["members"][m]["top1"].get<double>(), e["members"][m]["top1"].get<double>());
      }
    }
  }
}

TEST_F(ExperimentEnsemble, EnsembleTop1IsTheArgmaxOfTheMembersMeanProbabilities) {
  ASSERT_EQ(run_->first.exit_code, 0) << run_->first.err;
  const nlohmann::json e = run_->results()["summary"]["families"];
  // Averaged here, independently of ensemble_evaluation() and score(): the share of images whose class of
  // highest mean probability is their label.
  std::vector<Evaluation> members;
  for (const nlohmann::json& m : e["members"]) {
    members.push_back(
        evaluate_checkpoint((run_->dir / m["checkpoint"].get<std::string>()).string(), {.subset = 128, .threads = 2})
            .result);
  }
  const std::size_t images = members[0].labels.size(), classes = 10;
  ASSERT_EQ(images, 128u);
  int64_t right = 0, fixed = 0, broken = 0;
  for (std::size_t i = 0; i < images; ++i) {
    std::vector<double> mean(classes, 0.0);
    for (const Evaluation& m : members) {
      ASSERT_EQ(m.labels, members[0].labels);
      for (std::size_t c = 0; c < classes; ++c) mean[c] += m.probabilities.f32()[i * classes + c];
    }
    const auto best = std::max_element(mean.begin(), mean.end()) - mean.begin();
    const bool ensemble_right = best == members[0].labels[i];
    // members[0] is the best member (the results list them best first).
    const auto first = members[0].probabilities.f32().begin() + static_cast<std::ptrdiff_t>(i * classes);
    const bool member_right = std::max_element(first, first + classes) - first == members[0].labels[i];
    right += ensemble_right;
    fixed += ensemble_right && !member_right;
    broken += member_right && !ensemble_right;
  }
  EXPECT_NEAR(e["ensemble_top1_all"].get<double>(), static_cast<double>(right) / 128.0, 1e-12);
  EXPECT_EQ(e["against_best"]["fixed"], fixed);
  EXPECT_EQ(e["against_best"]["broken"], broken);
  EXPECT_DOUBLE_EQ(e["against_best"]["p_value"].get<double>(), experiments::mcnemar_p_value(fixed, broken));
}

// McNemar's exact test by hand: 8 images fixed and 1 broken is as uneven as 9 coin flips with at most one tail,
// (1 + 9) / 2^9 on each side, so p = 20 / 512; an even split is no evidence (p = 1, capped); 163 against 122 (the
// default run's seed ensemble, docs/experiments.md) is p = 0.018, and 144 against 129 (its mixed one) p = 0.40.
TEST(EnsembleSignificance, McNemarExactTestMatchesHandCounts) {
  EXPECT_NEAR(experiments::mcnemar_p_value(8, 1), 20.0 / 512.0, 1e-12);
  EXPECT_NEAR(experiments::mcnemar_p_value(1, 8), 20.0 / 512.0, 1e-12);
  EXPECT_EQ(experiments::mcnemar_p_value(5, 5), 1.0);
  EXPECT_EQ(experiments::mcnemar_p_value(0, 0), 1.0);
  EXPECT_NEAR(experiments::mcnemar_p_value(10, 0), 2.0 / 1024.0, 1e-15);
  EXPECT_NEAR(experiments::mcnemar_p_value(163, 122), 0.0176627534, 1e-8);  // Python: exact integer sums
  EXPECT_NEAR(experiments::mcnemar_p_value(144, 129), 0.3968589885, 1e-8);
}

TEST_F(ExperimentEnsemble, FiguresParseAndTheReportRendersInChromium) {
  ASSERT_EQ(run_->first.exit_code, 0) << run_->first.err;
  for (const char* file : {"ensemble_seeds.svg", "ensemble_families.svg", "ensemble_growth.svg"}) {
    const std::string svg = run_->file(file);
    ASSERT_FALSE(svg.empty()) << file;
    EXPECT_EQ(test::xml_problem(svg), "") << file;
  }
  const std::string families = run_->file("ensemble_families.svg");
  for (const char* category : {"GoogLeNet (64x64)", "WRN-16-2", "their ensemble"}) {
    EXPECT_NE(families.find(fmt::format("data-category=\"{}\"", category)), std::string::npos) << category;
  }
  const std::string growth = run_->file("ensemble_growth.svg");
  EXPECT_NE(growth.find("data-label=\"ResNet-20 seeds\""), std::string::npos);
  EXPECT_NE(growth.find("data-label=\"mixed families, seed 0\""), std::string::npos);
  const char* shots = std::getenv("CNNZOO_SCREENSHOT_DIR");
  const std::string png = (fs::path(shots ? shots : ::testing::TempDir()) / "experiment_ensemble.png").string();
  const test::RenderedPage page = test::render_in_chromium((run_->dir / "report.html").string(), png, 1500);
  EXPECT_TRUE(test::rendered_cleanly(page, 3));
  EXPECT_TRUE(fs::exists(png));
}

TEST_F(ExperimentEnsemble, ResumeKeepsTheFinishedRunsAndTrainsOnlyANewSeed) {
  ASSERT_EQ(run_->first.exit_code, 0) << run_->first.err;
  const nlohmann::json before = run_->results();
  auto r = run_cli("experiment ensemble --quick --resume --threads 2 --out " + run_->dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("run 1/4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kept: googlenet seed 0"), std::string::npos) << r.out;
  EXPECT_EQ(run_->results()["runs"], before["runs"]);
  EXPECT_EQ(run_->results()["summary"], before["summary"]);
  EXPECT_EQ(run_->results()["finding"], before["finding"]);

  // A third seed in a copy of the folder: the four runs kept, only ResNet-20 seed 2 trained.
  const fs::path more = run_->dir.string() + "_seeds3";
  fs::remove_all(more);
  fs::copy(run_->dir, more, fs::copy_options::recursive);
  r = run_cli("experiment ensemble --quick --resume --seeds 3 --threads 2 --out " + more.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("run 3/5: resnet20 seed 2"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("run 1/5"), std::string::npos) << r.out;
  const nlohmann::json j = nlohmann::json::parse(test::slurp((more / "results.json").string()));
  EXPECT_EQ(j["runs"].size(), 5u);
  EXPECT_EQ(j["summary"]["seeds"]["members"].size(), 3u);
  EXPECT_EQ(j["summary"]["families"], before["summary"]["families"]);
  fs::remove_all(more);
}

TEST_F(ExperimentEnsemble, AFinishedFolderAndAnotherScheduleGetOneClearLine) {
  ASSERT_EQ(run_->first.exit_code, 0) << run_->first.err;
  auto r = run_cli("experiment ensemble --quick --out " + run_->dir.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pass --resume to continue it, --overwrite to start again, or another --out"), std::string::npos)
      << r.err;
  r = run_cli("experiment ensemble --quick --epochs 2 --resume --out " + run_->dir.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--resume: the results there were made with"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace cnnzoo
