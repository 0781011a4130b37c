// `experiment design`'s report.html in headless Chromium: it renders offline, marks itself ready, every figure
// draws, and nothing reaches the console. The screenshot goes to $CNNZOO_SCREENSHOT_DIR (docs/img when the docs'
// picture is refreshed), else to the test's temporary folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "cli/run_cli.h"
#include "support/chromium.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;

TEST(ExperimentReport, DesignReportRendersEveryFigureInChromium) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("cnnzoo_design_report_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const auto r = test::run_cli("experiment design --out " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = test::slurp((dir / "report.html").string());
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_NE(html.find("Two 3x3 convolutions see the same 5x5 field"), std::string::npos);
  const char* shots = std::getenv("CNNZOO_SCREENSHOT_DIR");
  const std::string png = (fs::path(shots ? shots : ::testing::TempDir()) / "experiment_design.png").string();
  const test::RenderedPage page = test::render_in_chromium((dir / "report.html").string(), png, 2400);
  EXPECT_TRUE(test::rendered_cleanly(page, 10));
  EXPECT_TRUE(fs::exists(png));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cnnzoo
