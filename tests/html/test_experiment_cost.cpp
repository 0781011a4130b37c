// `experiment cost`: the line fit by hand, and a quick run through the CLI: every point measured, the engine's
// memory the engine's own figures, the fits those of the recorded points, the figures and the report.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli/run_cli.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"
#include "experiments/line_fit.h"
#include "html/quick_experiment.h"
#include "support/chromium.h"
#include "support/xml_check.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;
using experiments::fit_line;
using nlohmann::json;
using test::run_cli;

TEST(LineFit, ExactLinesAndScatterByHand) {
  const experiments::LineFit exact = fit_line({1, 2, 4, 8}, {5, 7, 11, 19});  // y = 3 + 2x
  EXPECT_DOUBLE_EQ(exact.slope, 2);
  EXPECT_DOUBLE_EQ(exact.intercept, 3);
  EXPECT_DOUBLE_EQ(exact.r2, 1);
  // x = 0, 1, 2, y = 0, 2, 1: mean (1, 1), sxy = 1, sxx = 2, syy = 2: slope 1/2, intercept 1/2, R^2 1/4.
  const experiments::LineFit scatter = fit_line({0, 1, 2}, {0, 2, 1});
  EXPECT_DOUBLE_EQ(scatter.slope, 0.5);
  EXPECT_DOUBLE_EQ(scatter.intercept, 0.5);
  EXPECT_DOUBLE_EQ(scatter.r2, 0.25);
  const experiments::LineFit flat = fit_line({1, 2, 3}, {4, 4, 4});
  EXPECT_DOUBLE_EQ(flat.slope, 0);
  EXPECT_DOUBLE_EQ(flat.intercept, 4);
  EXPECT_DOUBLE_EQ(flat.r2, 1);
}

struct Cost {
  static constexpr const char* kName = "cost";
};
using ExperimentCost = test::QuickExperiment<Cost>;

// bf16 training only where the CPU has bfloat16 kernels (TrainingEngine refuses it elsewhere).
const std::vector<std::string> kModes = [] {
  std::vector<std::string> modes{"fp32 inference", "bf16 inference", "int8 inference", "fp32 training step"};
  if (bf16_training_available()) modes.emplace_back("bf16 training step");
  return modes;
}();

TEST_F(ExperimentCost, QuickRunMeasuresEveryPointAndFitsItsLines) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const json j = results();
  EXPECT_EQ(j["experiment"], "cost");
  ASSERT_EQ(j["sweeps"].size(), 2u);
  const std::vector<std::pair<std::string, std::vector<double>>> axes = {{"batch", {1, 2, 4, 8}},
                                                                         {"depth", {20, 32, 44}}};
  for (std::size_t s = 0; s < 2; ++s) {
    const json& sweep = j["sweeps"][s];
    const auto& [axis, xs] = axes[s];
    EXPECT_EQ(sweep["axis"], axis);
    ASSERT_EQ(sweep["curves"].size(), kModes.size());
    for (std::size_t m = 0; m < kModes.size(); ++m) {
      const json& c = sweep["curves"][m];
      EXPECT_EQ(c["mode"], kModes[m]);
      EXPECT_EQ(c[axis].get<std::vector<double>>(), xs) << kModes[m];
      const auto ms = c["ms"].get<std::vector<double>>(), mib = c["engine_mib"].get<std::vector<double>>();
      ASSERT_EQ(ms.size(), xs.size());
      for (double t : ms) EXPECT_GT(t, 0) << kModes[m];
      // More images or more layers always take more buffers.
      for (std::size_t i = 1; i < mib.size(); ++i) EXPECT_GT(mib[i], mib[i - 1]) << axis << " " << kModes[m];
      // The recorded fits are those of the recorded points.
      const experiments::LineFit time = fit_line(xs, ms), memory = fit_line(xs, mib);
      EXPECT_DOUBLE_EQ(c["time_fit"]["slope"].get<double>(), time.slope);
      EXPECT_DOUBLE_EQ(c["memory_fit"]["slope"].get<double>(), memory.slope);
      EXPECT_DOUBLE_EQ(c["memory_fit"]["r2"].get<double>(), memory.r2);
      // Buffers are planned, not timed: a straight line in the batch and, block after block, in the depth.
      EXPECT_GT(memory.r2, 0.99) << axis << " " << kModes[m];
    }
  }
  const bool reproduced = j["reproduced"];
  EXPECT_EQ(first_->out.find("Not reproduced") == std::string::npos, reproduced) << first_->out;
}

// The engine's memory of a point is what that engine reports: its arena plus its weights.
TEST_F(ExperimentCost, EngineMemoryIsTheEnginesOwnFigure) {
  const json j = results();
  const json& fp32 = j["sweeps"][0]["curves"][0];
  ASSERT_EQ(fp32["mode"], "fp32 inference");
  const Graph g = build_model("resnet20", {.batch = 4});
  InferenceEngine engine(g, init_parameters(g, init_scheme_for("resnet20"), 0), {.threads = 2});
  const PlanStats& s = engine.stats();
  EXPECT_DOUBLE_EQ(fp32["engine_mib"][2].get<double>(),
                   static_cast<double>(s.arena_bytes + s.weight_bytes) / (1 << 20));
}

TEST_F(ExperimentCost, FiguresParseAndTheReportRendersInChromium) {
  for (const std::string axis : {"batch", "depth"}) {
    const std::string inference = test::slurp((*dir_ / ("cost_" + axis + "_inference_time.svg")).string());
    const std::string training = test::slurp((*dir_ / ("cost_" + axis + "_training_time.svg")).string());
    const std::string memory = test::slurp((*dir_ / ("cost_" + axis + "_memory.svg")).string());
    for (const std::string* svg : {&inference, &training, &memory}) EXPECT_EQ(test::xml_problem(*svg), "") << axis;
    for (const std::string& mode : kModes) {
      const std::string series = "data-label=\"" + mode + "\"";
      EXPECT_NE(memory.find(series), std::string::npos) << axis << " " << mode;
      const bool train = mode.ends_with("training step");
      EXPECT_EQ(training.find(series) != std::string::npos, train) << axis << " " << mode;
      EXPECT_EQ(inference.find(series) != std::string::npos, !train) << axis << " " << mode;
    }
  }
  const char* shots = std::getenv("CNNZOO_SCREENSHOT_DIR");
  const std::string png = (fs::path(shots ? shots : ::testing::TempDir()) / "experiment_cost.png").string();
  const test::RenderedPage page = test::render_in_chromium((*dir_ / "report.html").string(), png, 1500);
  EXPECT_TRUE(test::rendered_cleanly(page, 6));
}

TEST(ExperimentCostOptions, TrainingOptionsAreRefused) {
  const auto r = run_cli("experiment cost --epochs 2 --out " + ::testing::TempDir() + "cnnzoo_cost_refused");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "cnnzoo: error: --epochs: experiment 'cost' has no training runs and takes no --epochs\n");
  EXPECT_FALSE(fs::exists(::testing::TempDir() + "cnnzoo_cost_refused/results.json"));
}

}  // namespace
}  // namespace cnnzoo
