// The frame of every report (src/html/page.h), opened in headless Chromium: the marks tests rely on are
// set, a chart that cannot draw is reported, and nothing is fetched.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "html/chart_js.h"
#include "html/page.h"
#include "support/chromium.h"

namespace cnnzoo {
namespace {

nlohmann::json bar_chart(const nlohmann::json& values) {
  return {{"type", "bar"},
          {"data", {{"labels", {"conv1", "conv2", "fc"}}, {"datasets", {{{"label", "MACs"}, {"data", values}}}}}}};
}

std::string write_page(const std::string& name, const std::string& html) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << html;
  return path;
}

TEST(HtmlPage, EscapesMarkupInTextAndAttributes) {
  EXPECT_EQ(html::escape("<b a='1'>&\"</b>"), "&lt;b a=&#39;1&#39;&gt;&amp;&quot;&lt;/b&gt;");
}

TEST(HtmlPage, InlinesChartJsOnlyWhenThePageHasAChart) {
  const std::string_view chart_js = html::chart_js_source();
  ASSERT_GT(chart_js.size(), 100000u);
  EXPECT_NE(chart_js.find("Chart.js v3"), std::string_view::npos);
  EXPECT_NE(html::page("t", html::chart(bar_chart({1, 2, 3}))).find("Chart.js v3"), std::string::npos);
  EXPECT_EQ(html::page("t", "<p>text</p>").find("Chart.js v3"), std::string::npos);
}

TEST(HtmlPage, ASelfContainedPageRendersOfflineAndMarksItselfReady) {
  const std::string body =
      html::chart(bar_chart({70, 224, 37})) +
      html::figure(
          "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"20\">"
          "<rect width=\"30\" height=\"10\"/></svg>",
          "a drawing") +
      html::table({"layer", "MACs"}, {{"conv1", "70,470,400"}});
  const std::string path = write_page("page_ok.html", html::page("A page", body));
  const std::string html_text = test::chromium_detail::read_all(path);
  EXPECT_EQ(html_text.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html_text.find("href=\"http"), std::string::npos);
  const test::RenderedPage page = test::render_in_chromium(path);
  EXPECT_TRUE(test::rendered_cleanly(page, 2));
}

TEST(HtmlPage, AChartThatCannotDrawIsReportedOnThePageAndInItsMarks) {
  const std::string body =
      html::chart({{"type", "no-such-chart-type"}, {"data", {{"datasets", nlohmann::json::array()}}}});
  const test::RenderedPage page = test::render_in_chromium(write_page("page_broken.html", html::page("Broken", body)));
  EXPECT_TRUE(page.ready);
  EXPECT_NE(page.errors.find("chart 1"), std::string::npos) << page.errors;
  EXPECT_EQ(page.charts, 1);
  EXPECT_EQ(page.charts_drawn, 0);
  EXPECT_NE(page.dom.find("This report met errors"), std::string::npos);
}

}  // namespace
}  // namespace cnnzoo
