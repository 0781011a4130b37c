// cnnzoo predict: `run --checkpoint` under another name (same output), one unreadable image among good
// ones, folders of images; and the must-show: a trained checkpoint gives the same top-1 class for a
// PNG of `cnnzoo samples` through run, predict and eval.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "cli/run_fixtures.h"
#include "cnnzoo/data.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/fit.h"
#include "cnnzoo/io.h"

namespace cnnzoo {
namespace {

using test::run_cli;
namespace fs = std::filesystem;

std::string temp(const std::string& name) { return test::fresh_path("cnnzoo_predict_", name); }

// A checkpoint and three 28x28 grey images (a.png, b.png, c.png) in a folder of their own.
struct Images {
  std::string dir = temp("images");
  test::TinyCheckpoint ckpt{temp("tiny.safetensors")};
  std::vector<std::string> files;
  Images() {
    fs::create_directories(dir);
    for (int i = 0; i < 3; ++i) {
      files.push_back(fmt::format("{}/{}.png", dir, static_cast<char>('a' + i)));
      write_png(files.back(), test::pattern_image(1, 28, 28, 10 + i));
    }
  }
};

TEST(CliPredict, IsRunWithACheckpoint) {
  const Images im;
  for (const char* format : {"text", "json"}) {
    const auto predict = run_cli(
        fmt::format("predict --checkpoint {} {} {} --format {}", im.ckpt.path, im.files[0], im.files[1], format));
    const auto run =
        run_cli(fmt::format("run --checkpoint {} {} {} --format {}", im.ckpt.path, im.files[0], im.files[1], format));
    ASSERT_EQ(predict.exit_code, 0) << predict.err;
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(predict.out, run.out) << format;
    EXPECT_NE(predict.out.find(im.files[1]), std::string::npos);
  }
  // Its checkpoint is required (a command-line error, exit 2), and so is an image.
  EXPECT_EQ(run_cli(fmt::format("predict {}", im.files[0])).exit_code, 2);
  EXPECT_EQ(run_cli(fmt::format("predict --checkpoint {}", im.ckpt.path)).exit_code, 2);
}

// The item 6: one unreadable image no longer drops every result.
TEST(CliPredict, UnreadableImageIsReportedAndTheOthersArePredicted) {
  const Images im;
  const std::string bad = temp("notes.png");
  std::ofstream(bad) << "not an image";
  const auto good = run_cli(fmt::format("predict --checkpoint {} {} {}", im.ckpt.path, im.files[0], im.files[2]));
  ASSERT_EQ(good.exit_code, 0) << good.err;
  const auto r = run_cli(fmt::format("predict --checkpoint {} {} {} {}", im.ckpt.path, im.files[0], bad, im.files[2]));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, good.out);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: {}: not a JPEG or PNG image (12 bytes, unknown signature)\n"
                               "cnnzoo: error: 1 of 3 inputs could not be used (named above); the others' results "
                               "are printed\n",
                               bad));
  // A lone input that cannot be used is the error itself, one line.
  const auto alone = run_cli(fmt::format("predict --checkpoint {} {}", im.ckpt.path, bad));
  EXPECT_EQ(alone.exit_code, 1);
  EXPECT_EQ(alone.err, fmt::format("cnnzoo: error: {}: not a JPEG or PNG image (12 bytes, unknown signature)\n", bad));
  const auto missing = run_cli(fmt::format("predict --checkpoint {} {}", im.ckpt.path, temp("gone.png")));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.rfind("cnnzoo: error: " + temp("gone.png") + ": ", 0), 0u) << missing.err;
}

// A folder stands for its PNG and JPEG files, sorted by name (not its subfolders' nor other files).
TEST(CliPredict, FolderIsItsImagesSortedByName) {
  const Images im;
  std::ofstream(im.dir + "/readme.txt") << "not an image";
  fs::create_directories(im.dir + "/more");
  write_png(im.dir + "/more/d.png", test::pattern_image(1, 28, 28, 20));
  const auto folder = run_cli(fmt::format("predict --checkpoint {} {}", im.ckpt.path, im.dir));
  const auto listed =
      run_cli(fmt::format("predict --checkpoint {} {} {} {}", im.ckpt.path, im.files[0], im.files[1], im.files[2]));
  ASSERT_EQ(folder.exit_code, 0) << folder.err;
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(folder.out, listed.out);
  const std::string empty = temp("empty");
  fs::create_directories(empty);
  const auto r = run_cli(fmt::format("predict --checkpoint {} {}", im.ckpt.path, empty));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: {}: is a folder without .png, .jpg or .jpeg files\n", empty));
}

// IDX bytes: the magic for unsigned bytes with `dims`, then the values.
std::string idx_file(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
  std::string bytes{0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xff);
  }
  bytes.append(values.begin(), values.end());
  return bytes;
}

int64_t argmax(const nlohmann::json& row) { return std::max_element(row.begin(), row.end()) - row.begin(); }

// The must-show of issue 11, on a checkpoint trained here (as `make run` trains one, shorter).
TEST(CliPredict, TrainedCheckpointGivesOneClassThroughRunPredictAndEval) {
  const std::string out = temp("trained");
  auto r = run_cli(fmt::format(
      "train --epochs 1 --subset 1000 --val-subset 200 --batch-size 64 --threads 2 --seed 5 --out {}", out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string ckpt = out + "/best.safetensors";
  r = run_cli(fmt::format("samples --count 1 --out {}/samples", out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string png = out + "/samples/test_00000_Ankle_boot.png";
  ASSERT_TRUE(fs::exists(png)) << r.out;

  const std::string logits_file = out + "/logits.npy";
  const auto run = run_cli(fmt::format("run --checkpoint {} {} --format json --output {}", ckpt, png, logits_file));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto predict = run_cli(fmt::format("predict --checkpoint {} {} --format json", ckpt, png));
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(predict.out, run.out);
  const auto top = nlohmann::json::parse(run.out).at(0).at("top");
  const int64_t run_class = top.at(0).at("class");

  // eval on a data set of that one image: Fashion-MNIST's format, its true class 9 (Ankle boot).
  const std::string one = out + "/one-image";
  fs::create_directories(one);
  const Image rgb = read_image(png);
  std::vector<uint8_t> grey;
  for (std::size_t i = 0; i < rgb.pixels.size(); i += 3) grey.push_back(rgb.pixels[i]);
  std::ofstream(one + "/t10k-images-idx3-ubyte", std::ios::binary) << idx_file({1, 28, 28}, grey);
  std::ofstream(one + "/t10k-labels-idx1-ubyte", std::ios::binary) << idx_file({1}, {9});
  const auto eval = run_cli(fmt::format("eval --checkpoint {} --data fashion-mnist:{} --format json", ckpt, one));
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const auto e = nlohmann::json::parse(eval.out);
  ASSERT_EQ(e.at("images"), 1);
  EXPECT_EQ(argmax(e.at("confusion").at(9)), run_class) << "eval's class for the image";
  EXPECT_EQ(e.at("top1").get<double>() == 1.0, run_class == 9);

  // run's logits are the engine's, in this process, on the data set's own sample of that image.
  const TrainedModel trained = load_trained_model(ckpt);
  const auto data = open_dataset("fashion-mnist", Split::Test);
  const Dims input = trained.options.input.value();
  Tensor x({1, input[0], input[1], input[2]});
  transform(data->image(0), eval_augment(*data, input), 0, x.f32());
  const Tensor expected = InferenceEngine(build_model(trained.model, trained.options), trained.parameters).run(x).at(0);
  const Tensor logits = read_npy(logits_file);
  ASSERT_EQ(logits.shape(), (Dims{1, 10}));
  for (std::size_t i = 0; i < 10; ++i) EXPECT_NEAR(logits.f32()[i], expected.f32()[i], 1e-4) << i;
  EXPECT_EQ(test::argmax_row(expected, 0), run_class);
  EXPECT_EQ(top.at(0).at("name"), trained.class_names.at(static_cast<std::size_t>(run_class)));
}

}  // namespace
}  // namespace cnnzoo
