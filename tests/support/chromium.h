// Opens an HTML report in headless Chromium (Debian's chromium) as a reader would, offline: the page's
// DOM after its scripts ran, what Chromium printed, and a screenshot. The report's own marks (html/page.h)
// say whether it is ready, what went wrong and how many charts drew something.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string>

namespace cnnzoo::test {

struct RenderedPage {
  std::string dom;           ///< the serialised DOM once the page's scripts ran
  std::string chromium_log;  ///< what Chromium printed (console messages appear as "CONSOLE(...)")
  bool ready = false;        ///< <html data-cnnzoo-ready="true">
  std::string errors;        ///< <html data-cnnzoo-errors>, empty when none
  int charts = -1;           ///< data-cnnzoo-charts: charts and drawings on the page
  int charts_drawn = -1;     ///< data-cnnzoo-charts-drawn: those that painted something
};

namespace chromium_detail {

inline std::string read_all(const std::string& path) {
  std::string text;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  return text;
}

inline std::string attribute(const std::string& dom, const std::string& name) {
  const std::regex pattern("<html[^>]*\\s" + name + "=\"([^\"]*)\"");
  std::smatch match;
  return std::regex_search(dom, match, pattern) ? match[1].str() : std::string();
}

// Chromium as root in a sandbox-less container, with nothing that reaches for the network: every host
// name resolves to nothing, so a page that tried to fetch anything would fail and say so.
inline std::string chromium_command(const std::string& profile, const std::string& action, const std::string& url) {
  return "/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage "
         "--host-resolver-rules='MAP * ~NOTFOUND' --enable-logging=stderr --v=0 --virtual-time-budget=20000 "
         "--user-data-dir=" +
         profile + " " + action + " '" + url + "'";
}

inline int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace chromium_detail

/// Renders `html_file`; with `screenshot_png`, also saves the page's top `height` pixels at 1280 wide.
inline RenderedPage render_in_chromium(const std::string& html_file, const std::string& screenshot_png = "",
                                       int height = 2400) {
  using namespace chromium_detail;
  if (!std::filesystem::exists("/usr/bin/chromium")) {
    throw std::runtime_error("the report tests need Debian's chromium: `make test-deps` installs it");
  }
  const std::filesystem::path work =
      std::filesystem::temp_directory_path() / ("cnnzoo_chromium_" + std::to_string(::getpid()));
  std::filesystem::create_directories(work);
  const std::string url = "file://" + std::filesystem::absolute(html_file).string();
  const std::string dom_file = (work / "dom.html").string(), log_file = (work / "log.txt").string();
  if (run(chromium_command((work / "profile").string(), "--dump-dom", url) + " >" + dom_file + " 2>" + log_file) != 0) {
    throw std::runtime_error("chromium failed on " + html_file + ": " + read_all(log_file));
  }
  RenderedPage page;
  page.dom = read_all(dom_file);
  page.chromium_log = read_all(log_file);
  page.ready = attribute(page.dom, "data-cnnzoo-ready") == "true";
  page.errors = attribute(page.dom, "data-cnnzoo-errors");
  const std::string charts = attribute(page.dom, "data-cnnzoo-charts");
  const std::string drawn = attribute(page.dom, "data-cnnzoo-charts-drawn");
  page.charts = charts.empty() ? -1 : std::stoi(charts);
  page.charts_drawn = drawn.empty() ? -1 : std::stoi(drawn);
  if (!screenshot_png.empty()) {
    const std::string action = "--hide-scrollbars --window-size=1280," + std::to_string(height) +
                               " --screenshot=" + std::filesystem::absolute(screenshot_png).string();
    if (run(chromium_command((work / "profile").string(), action, url) + " >/dev/null 2>>" + log_file) != 0) {
      throw std::runtime_error("chromium could not take a screenshot of " + html_file);
    }
  }
  std::filesystem::remove_all(work);
  return page;
}

/// What every report test asks of a rendered page: ready, no error listed, exactly `charts` charts and drawings,
/// every one painted, and no console message in Chromium's log.
inline ::testing::AssertionResult rendered_cleanly(const RenderedPage& page, int charts) {
  if (!page.ready) return ::testing::AssertionFailure() << "the page never marked itself ready";
  if (!page.errors.empty()) return ::testing::AssertionFailure() << "the page lists errors: " << page.errors;
  if (page.charts != charts || page.charts_drawn != charts) {
    return ::testing::AssertionFailure() << page.charts_drawn << " of " << page.charts
                                         << " charts and drawings painted, " << charts << " expected";
  }
  if (page.chromium_log.find("CONSOLE") != std::string::npos) {
    return ::testing::AssertionFailure() << "console output: " << page.chromium_log;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace cnnzoo::test
