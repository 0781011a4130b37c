// What a newcomer reads: the progress bar's rate, counts in the right number, paths joined once, and eval's
// confusion matrix in aligned, labelled columns.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_cli.h"
#include "progress.h"

namespace cnnzoo {
namespace {

using cli::plural;
using cli::Progress;
using test::run_cli;
namespace fs = std::filesystem;
using TimePoint = std::chrono::steady_clock::time_point;

std::string temp(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "cnnzoo_polish_" + std::to_string(::getpid()) + "_" + name;
  fs::remove_all(dir);
  return dir;
}

// A Progress writing to a file (not a terminal: plain lines) on a clock the test moves.
struct DrivenProgress {
  std::FILE* file = std::tmpfile();
  TimePoint now{};
  Progress progress;

  DrivenProgress(const std::string& title, int64_t total, const std::string& unit)
      : progress(title, total, unit, file, now, [this] { return now; }) {}
  ~DrivenProgress() { std::fclose(file); }
  void advance(double seconds) {
    now += std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  }
  std::string written() {
    std::fflush(file);
    std::rewind(file);
    std::string text;
    for (int c = std::fgetc(file); c != EOF; c = std::fgetc(file)) text += static_cast<char>(c);
    return text;
  }
};

TEST(CliPolish, PluralAgreesWithTheCount) {
  EXPECT_EQ(plural(1, "epoch"), "1 epoch");
  EXPECT_EQ(plural(3, "epoch"), "3 epochs");
  EXPECT_EQ(plural(0, "image"), "0 images");
  EXPECT_EQ(plural(10000, "image"), "10000 images");
}

// `cnnzoo train` makes an epoch's bar after its first batch: that batch took no time on the bar's clock.
// Counting it showed millions of images a second on short epochs; the rate counts from the first update.
TEST(CliPolish, ProgressRateCountsFromTheFirstUpdate) {
  DrivenProgress p("epoch 1/1", 256, "img");
  p.progress.update(64, "loss 2.3000");  // the first batch, done as the bar was made
  for (int64_t done : {128, 192, 256}) {
    p.advance(1.0);
    p.progress.update(done, "loss 2.3000");
  }
  p.progress.finish();
  // 192 images in the 3 s after the first update: 64 img/s (not 256 / 3 s, nor 256 / 0 s).
  EXPECT_EQ(p.written(), "epoch 1/1 100% 256/256 img 64.0 img/s 3s total  loss 2.3000\n");
}

TEST(CliPolish, ProgressShowsNoRateBeforeItHasMeasuredOne) {
  DrivenProgress p("epoch 1/1", 64, "img");
  p.progress.update(64);  // a one-batch epoch: the first update is the last
  p.advance(0.001);
  p.progress.finish("loss 2.3000");
  EXPECT_EQ(p.written(), "epoch 1/1 100% 64/64 img 0s total  loss 2.3000\n");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(CliPolish, ProgressLinesInALogCarryRateAndTimeLeft) {
  DrivenProgress p("evaluating", 1000, "batch");
  p.progress.update(100);
  p.advance(5);
  p.progress.update(150);  // a log gets a line every 10 s, not every update
  EXPECT_EQ(p.written(), "");
  p.advance(5);
  p.progress.update(200, "top-1 80.00%");
  p.advance(40);
  p.progress.update(800);
  p.advance(10);
  p.progress.update(900);
  p.advance(60);
  p.progress.finish();
  EXPECT_EQ(lines_of(p.written()), std::vector<std::string>({
                                       // 100 batches in the 10 s since the first update; 800 left at 10 batch/s
                                       "evaluating  20% 200/1000 batch 10.0 batch/s ETA 1:20  top-1 80.00%",
                                       // 700 in 50 s; 200 left
                                       "evaluating  80% 800/1000 batch 14.0 batch/s ETA 14s",
                                       // 800 in 60 s; 100 left at 13.3 batch/s
                                       "evaluating  90% 900/1000 batch 13.3 batch/s ETA 8s",
                                       // 900 in 120 s, which slow rates show with three figures; 2 min since the start
                                       "evaluating 100% 1000/1000 batch 7.50 batch/s 2:00 total",
                                   }));
}

// One short training run (one batch of 64 images) serves the checks of train's, eval's and samples' output.
TEST(CliPolish, TrainEvalAndSamplesPrintWhatTheyMean) {
  const std::string out = temp("run");
  auto r = run_cli(
      fmt::format("train --subset 64 --val-subset 64 --batch-size 64 --threads 2 --seed 3 --epochs 1 --out {}", out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind(fmt::format("training resnet20 on fashion-mnist for 1 epoch (batch 64, "), 0), 0u) << r.out;
  // A one-batch epoch has no rate to show: no figure rather than 64 images over no time.
  const std::regex epoch_line(R"(epoch 1/1 100% 64/64 img \d+s total  loss [0-9.]+ acc [0-9.]+%)");
  const std::vector<std::string> progress = lines_of(r.err);
  EXPECT_TRUE(std::any_of(progress.begin(), progress.end(), [&](const std::string& line) {
    return std::regex_match(line, epoch_line);
  })) << r.err;

  // eval: the text table holds the JSON's figures, in columns as wide as their widest entry.
  const std::string checkpoint = out + "/best.safetensors";
  r = run_cli(fmt::format("eval --checkpoint {} --format json", checkpoint));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  const auto confusion = j["confusion"].get<std::vector<std::vector<int64_t>>>();
  ASSERT_EQ(confusion.size(), 10u);
  int64_t largest = 0;
  for (const auto& row : confusion) largest = std::max(largest, *std::max_element(row.begin(), row.end()));
  const std::size_t width = std::to_string(largest).size();  // wider than the class indices
  const std::size_t label_width = std::string("0 T-shirt/top").size();

  r = run_cli(fmt::format("eval --checkpoint {}", checkpoint));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 14u) << r.out;
  EXPECT_EQ(lines[0],
            fmt::format("{}: 10000 images  top-1 {:.2f}%  top-5 {:.2f}%  loss {:.4f}", checkpoint,
                        100 * j["top1"].get<double>(), 100 * j["top5"].get<double>(), j["loss"].get<double>()));
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], "confusion matrix: rows are the true class, columns the predicted class");
  std::string header = fmt::format("{:<{}}  accuracy", "true class", label_width);
  for (int c = 0; c < 10; ++c) header += std::string(2 + width - 1, ' ') + std::to_string(c);
  EXPECT_EQ(lines[3], header);
  for (std::size_t c = 0; c < 10; ++c) {
    const std::string label = fmt::format("{} {}", c, names[c]);
    std::string row = label + std::string(label_width - label.size(), ' ') + "  " +
                      fmt::format("{:>8}", fmt::format("{:.2f}%", 100 * j["per_class"][names[c]].get<double>()));
    for (int64_t n : confusion[c]) {
      const std::string figure = std::to_string(n);
      row += std::string(2 + width - figure.size(), ' ') + figure;
    }
    EXPECT_EQ(lines[4 + c], row) << r.out;
    EXPECT_EQ(lines[4 + c].size(), header.size());
  }

  // samples: the folder and the file name joined by one separator, however the folder was written.
  r = run_cli(fmt::format("samples --count 2 --out {}/samples/", out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, fmt::format("{0}/samples/test_00000_Ankle_boot.png\n{0}/samples/test_00001_Pullover.png\n", out));
  EXPECT_TRUE(fs::exists(out + "/samples/test_00001_Pullover.png"));
}

// An ensemble's members in aligned columns, whatever their paths' lengths; counts in the right number; a
// class without test images has no accuracy rather than "nan%". The small folder data set keeps this quick.
TEST(CliPolish, EnsembleMembersAlignAndCountsAgree) {
  const std::string out = temp("folder");
  auto r =
      run_cli(fmt::format("train --data folder:{}/datasets/folder --image-size 32 --val-split 0.5 --batch-size 2 "
                          "--epochs 1 --threads 2 --out {}",
                          CNNZOO_TEST_DATA, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string best = out + "/best.safetensors", longer = out + "/a-longer-name.safetensors";
  fs::copy_file(best, longer);
  r = run_cli(fmt::format("eval --ensemble {} {}", best, longer));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 8u) << r.out;
  EXPECT_EQ(lines[0].rfind(best + std::string(longer.size() - best.size(), ' ') + "  top-1 ", 0), 0u) << r.out;
  EXPECT_EQ(lines[1].rfind(longer + "  top-1 ", 0), 0u) << r.out;
  EXPECT_EQ(lines[0].size(), lines[1].size()) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(lines[3], m, std::regex(R"(^ensemble of 2 members: (\d+) (images?)  top-1 )")))
      << lines[3];
  EXPECT_EQ(m[2], m[1] == "1" ? "image" : "images");
  // Two classes: blue and red, each row as long as the header.
  EXPECT_EQ(lines[5], "confusion matrix: rows are the true class, columns the predicted class");
  ASSERT_EQ(lines.size(), 9u) << r.out;
  for (std::size_t row : {7, 8}) {
    EXPECT_EQ(lines[row].size(), lines[6].size()) << r.out;
    EXPECT_EQ(lines[row].find("nan"), std::string::npos) << r.out;
  }
  EXPECT_EQ(lines[7].rfind("0 blue  ", 0), 0u) << r.out;
  EXPECT_EQ(lines[8].rfind("1 red   ", 0), 0u) << r.out;
}

}  // namespace
}  // namespace cnnzoo
