// cnnzoo run: a checkpoint, a zoo model with torchvision weights and its model flags, images and .npy
// inputs, the top classes printed, outputs as .npy, and the errors for bad files and flags.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli/run_cli.h"
#include "cli/run_fixtures.h"
#include "cnnzoo/data.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

using test::run_cli;
namespace fs = std::filesystem;

// Per process: CTest runs these tests in parallel processes.
std::string temp(const std::string& name) {
  return ::testing::TempDir() + "cnnzoo_run_" + std::to_string(::getpid()) + "_" + name;
}

// resnet20's test weights as a state_dict file, and an input: what a user brings from PyTorch.
struct Files {
  std::string weights = temp("resnet20.safetensors");
  std::string input = temp("x.npy");
  std::string output = temp("y.npy");
  Graph graph = build_model("resnet20", {.batch = 2});
  Parameters parameters = test_parameters(graph, 5);
  Tensor x = test_uniform("input", {2, 3, 32, 32}, 5, -1, 1);
  Files() {
    TensorFile file;
    for (const Node& n : graph.nodes()) {
      for (const ParamSpec& p : n.params) file.tensors.emplace_back(p.name, parameters.at(p.name));
    }
    write_safetensors(weights, file);
    write_npy(input, x);
  }
};

TEST(CliRun, WeightsFileGivesTheEnginesLogits) {
  const Files f;
  const auto r = run_cli(
      fmt::format("run resnet20 --weights {} --input {} --output {} --threads 1", f.weights, f.input, f.output));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor y = read_npy(f.output);
  InferenceEngine engine(f.graph, f.parameters);
  const Tensor expected = engine.run(f.x)[0];
  ASSERT_EQ(y.shape(), (Dims{2, 10}));
  for (std::size_t i = 0; i < 20; ++i) EXPECT_FLOAT_EQ(y.f32()[i], expected.f32()[i]);
}

TEST(CliRun, SeededInitialisationIsRepeatable) {
  const Files f;
  const std::string other = temp("y2.npy");
  ASSERT_EQ(run_cli(fmt::format("run resnet20 --seed 3 --input {} --output {}", f.input, f.output)).exit_code, 0);
  ASSERT_EQ(run_cli(fmt::format("run resnet20 --seed 3 --input {} --output {}", f.input, other)).exit_code, 0);
  const Tensor a = read_npy(f.output), b = read_npy(other);
  for (std::size_t i = 0; i < 20; ++i) EXPECT_EQ(a.f32()[i], b.f32()[i]);
  ASSERT_EQ(run_cli(fmt::format("run resnet20 --seed 4 --input {} --output {}", f.input, other)).exit_code, 0);
  EXPECT_NE(read_npy(other).f32()[0], a.f32()[0]);
}

TEST(CliRun, BadFilesGetClearErrors) {
  const Files f;
  // A truncated weights file names the file.
  const std::string cut = temp("cut.safetensors");
  {
    std::ifstream in(f.weights, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  auto r = run_cli(fmt::format("run resnet20 --weights {} --input {} --output {}", cut, f.input, f.output));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("cnnzoo: error: " + cut + ":", 0), 0u) << r.err;
  // Weights of another model name what does not fit.
  r = run_cli(fmt::format("run resnet32 --weights {} --input {} --output {}", f.weights, f.input, f.output));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("weights do not fit resnet32: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing (layer1.3.conv1.weight"), std::string::npos) << r.err;
  // A wrong channel count and a non-image array.
  const std::string gray = temp("gray.npy");
  write_npy(gray, Tensor({1, 1, 32, 32}));
  r = run_cli(fmt::format("run resnet20 --input {} --output {}", gray, f.output));
  EXPECT_EQ(r.err,
            "cnnzoo: error: " + gray + ": resnet20 takes 3 input channels (as 3x32x32), got 1 (shape 1x1x32x32)\n");
  const std::string flat = temp("flat.npy");
  write_npy(flat, Tensor({4, 3}));
  r = run_cli(fmt::format("run resnet20 --input {} --output {}", flat, f.output));
  EXPECT_EQ(r.err, "cnnzoo: error: " + flat + ": expected an NxCxHxW array, got shape 4x3\n");
  // An input too small names the node where a size reaches zero.
  const std::string tiny = temp("tiny.npy");
  write_npy(tiny, Tensor({1, 3, 8, 8}));
  EXPECT_EQ(run_cli(fmt::format("run alexnet --input {} --output {}", tiny, f.output)).exit_code, 1);
  // A missing input file.
  r = run_cli(fmt::format("run resnet20 --input {} --output {}", temp("nothing.npy"), f.output));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(temp("nothing.npy")), std::string::npos) << r.err;
}

// Splits printed text into lines (without their '\n').
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Softmax of row `row` of N x K logits, in double as run computes it.
std::vector<double> softmax_row(const Tensor& logits, int64_t row) {
  const int64_t k = logits.shape()[1];
  const auto v = logits.f32().subspan(static_cast<std::size_t>(row * k), static_cast<std::size_t>(k));
  const double top = *std::max_element(v.begin(), v.end());
  std::vector<double> p;
  double sum = 0;
  for (float x : v) sum += p.emplace_back(std::exp(static_cast<double>(x) - top));
  for (double& x : p) x /= sum;
  return p;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The first finding: a trained checkpoint runs, its model, options, input size and class names
// from its metadata, an image prepared as its data (a 28x28 grey image passes unchanged but normalised).
TEST(CliRun, CheckpointBringsItsModelOptionsClassNamesAndPreprocessing) {
  const test::TinyCheckpoint ckpt(temp("tiny.safetensors"));
  const Image grey = test::pattern_image(1, 28, 28, 1);
  const std::string png = temp("shoe.png");
  write_png(png, grey);
  const std::string out = temp("logits.npy");
  auto r = run_cli(fmt::format("run --checkpoint {} {} --top 3 --output {}", ckpt.path, png, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const Tensor expected = ckpt.logits(ckpt.sample(grey));
  const Tensor y = read_npy(out);
  ASSERT_EQ(y.shape(), (Dims{1, 10}));
  for (std::size_t i = 0; i < 10; ++i) EXPECT_NEAR(y.f32()[i], expected.f32()[i], 1e-4) << i;

  // The file, then its three most probable classes with the checkpoint's names.
  const std::vector<double> p = softmax_row(expected, 0);
  std::vector<std::size_t> order(10);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
  std::string want = png + "\n";
  for (std::size_t j = 0; j < 3; ++j) {
    want += fmt::format("  {:6.2f}%  {} ({})\n", 100 * p[order[j]], ckpt.names[order[j]], order[j]);
  }
  EXPECT_EQ(r.out, want);

  // The model's name may be given when it is the checkpoint's; another is refused.
  const auto named = run_cli(fmt::format("run resnet20 --checkpoint {} {} --top 3", ckpt.path, png));
  EXPECT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(named.out, want);
  r = run_cli(fmt::format("run resnet32 --checkpoint {} {}", ckpt.path, png));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: resnet32: the checkpoint {} holds resnet20; give resnet20 or no model "
                               "name\n",
                               ckpt.path));
}

// The command of the issue: `run MODEL --weights CHECKPOINT` now reads it as a checkpoint, on images and on
// arrays of the checkpoint's input.
TEST(CliRun, CheckpointGivenToWeightsIsReadAsACheckpoint) {
  const test::TinyCheckpoint ckpt(temp("tiny.safetensors"));
  const std::string png = temp("shoe.png");
  write_png(png, test::pattern_image(1, 28, 28, 2));
  const auto a = run_cli(fmt::format("run --checkpoint {} {}", ckpt.path, png));
  const auto b = run_cli(fmt::format("run resnet20 --weights {} {}", ckpt.path, png));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);

  const Tensor x = test_uniform("x", {2, 1, 28, 28}, 3, -1, 1);
  const std::string npy = temp("x28.npy"), out = temp("y.npy");
  write_npy(npy, x);
  const auto r = run_cli(fmt::format("run resnet20 --weights {} --input {} --output {}", ckpt.path, npy, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor expected = ckpt.logits(x), y = read_npy(out);
  ASSERT_EQ(y.shape(), (Dims{2, 10}));
  for (std::size_t i = 0; i < 20; ++i) EXPECT_NEAR(y.f32()[i], expected.f32()[i], 1e-4) << i;
  // Each row of an array is an input of its own, named FILE[row].
  EXPECT_EQ(lines_of(r.out).at(0), npy + "[0]");
  EXPECT_EQ(lines_of(r.out).at(6), npy + "[1]");
}

// --weights takes the model flags of summary: a state_dict of resnet20 built with --depth 32, 7 classes,
// run at 3x16x16.
TEST(CliRun, WeightsTakeTheModelFlagsOfSummary) {
  const ModelOptions options{.batch = 2, .num_classes = 7, .input = Dims{3, 16, 16}, .depth = 32};
  const Graph graph = build_model("resnet20", options);
  const Parameters parameters = test_parameters(graph, 11);
  TensorFile file;
  for (const Node& n : graph.nodes()) {
    for (const ParamSpec& p : n.params) file.tensors.emplace_back(p.name, parameters.at(p.name));
  }
  const std::string weights = temp("r32.safetensors"), npy = temp("x16.npy"), out = temp("y.npy");
  write_safetensors(weights, file);
  const Tensor x = test_uniform("x", {2, 3, 16, 16}, 4, -1, 1);
  write_npy(npy, x);
  auto r = run_cli(fmt::format("run resnet20 --depth 32 --num-classes 7 --input 3x16x16 --weights {} {} --output {}",
                               weights, npy, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor expected = InferenceEngine(graph, parameters).run(x).at(0);
  const Tensor y = read_npy(out);
  ASSERT_EQ(y.shape(), (Dims{2, 7}));
  for (std::size_t i = 0; i < 14; ++i) EXPECT_NEAR(y.f32()[i], expected.f32()[i], 1e-4) << i;
  // Without the flags the weights do not fit, and every difference is named.
  r = run_cli(fmt::format("run resnet20 --weights {} {}", weights, npy));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("weights do not fit resnet20"), std::string::npos) << r.err;
  // An array of another size than --input names both.
  const std::string big = temp("x32.npy");
  write_npy(big, Tensor({1, 3, 32, 32}));
  r = run_cli(fmt::format("run resnet20 --input 3x16x16 {}", big));
  EXPECT_EQ(r.err,
            "cnnzoo: error: " + big + ": the model's input is 3x16x16 (--input), the array's samples are 3x32x32\n");
}

TEST(CliRun, ModelFlagsWithACheckpointAreRefused) {
  const test::TinyCheckpoint ckpt(temp("tiny.safetensors"));
  const std::string png = temp("shoe.png");
  write_png(png, test::pattern_image(1, 28, 28, 3));
  auto r = run_cli(fmt::format("run --checkpoint {} --depth 32 {}", ckpt.path, png));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --depth: the checkpoint {} sets the model's options; drop --depth\n",
                               ckpt.path));
  r = run_cli(fmt::format("run --checkpoint {} --input 3x32x32 {}", ckpt.path, png));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --input 3x32x32: the checkpoint {} sets the input size (1x28x28); "
                               "images are resized to it\n",
                               ckpt.path));
  r = run_cli(fmt::format("run --checkpoint {0} --weights {0} {1}", ckpt.path, png));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not both"), std::string::npos) << r.err;
}

// A zoo model without a checkpoint prepares images as torchvision's ImageNet weights: the shorter side to
// 256/224 of the input (37 for resnet20's 32), the centre 32x32, ImageNet's mean and std.
TEST(CliRun, ZooModelImagesGetImageNetPreprocessing) {
  const Image rgb = test::pattern_image(3, 37, 45, 4);  // shorter side 37 already: the crop alone
  const std::string png = temp("photo.png"), out = temp("y.npy");
  write_png(png, rgb);
  const auto r = run_cli(fmt::format("run resnet20 {} --output {}", png, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stddev[3] = {0.229f, 0.224f, 0.225f};
  Tensor x({1, 3, 32, 32});
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t y = 0; y < 32; ++y) {
      for (int64_t col = 0; col < 32; ++col) {
        const uint8_t pixel = rgb.pixels[static_cast<std::size_t>(((y + 2) * 45 + col + 6) * 3 + c)];
        x.f32()[static_cast<std::size_t>((c * 32 + y) * 32 + col)] =
            (static_cast<float>(pixel) / 255.0f - mean[c]) / stddev[c];
      }
    }
  }
  const Graph graph = build_model("resnet20", {.batch = 1});
  const Tensor expected = InferenceEngine(graph, init_parameters(graph, init_scheme_for("resnet20"), 0)).run(x).at(0);
  const Tensor y = read_npy(out);
  ASSERT_EQ(y.shape(), (Dims{1, 10}));
  for (std::size_t i = 0; i < 10; ++i) EXPECT_NEAR(y.f32()[i], expected.f32()[i], 1e-4) << i;
  // Five classes by index (a zoo model has no names), the most probable first.
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[0], png);
  const std::vector<double> p = softmax_row(expected, 0);
  const int64_t top1 = test::argmax_row(expected, 0);
  EXPECT_EQ(lines[1], fmt::format("  {:6.2f}%  class {}", 100 * p[static_cast<std::size_t>(top1)], top1));
}

// --input: a CxHxW value is the input size (as for summary, export and bench), anything else a file.
TEST(CliRun, InputFlagIsASizeOrAFile) {
  const Files f;
  auto r = run_cli(fmt::format("run resnet20 --input 3x32x32 --input {} --output {}", f.input, f.output));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_npy(f.output).shape(), (Dims{2, 10}));
  r = run_cli(fmt::format("run resnet20 --input 3x16x16 --input 3x8x8 {}", f.input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "cnnzoo: error: --input: two input sizes, 3x16x16 and 3x8x8; give one (or ./3x8x8 for a file of "
            "that name)\n");
  // A path is never a size: it is read as an input, and its error names it.
  const std::string odd = temp("3x4x4");
  std::ofstream(odd) << "not an image";
  r = run_cli(fmt::format("run resnet20 --input {}", odd));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("cnnzoo: error: " + odd + ": not a JPEG or PNG image", 0), 0u) << r.err;
}

// A 0-sized batch names the file, not a --batch flag.
TEST(CliRun, EmptyArrayNamesItsFile) {
  const std::string empty = temp("empty.npy");
  // As numpy.save writes np.zeros((0, 3, 32, 32), np.float32): a 118-byte header, no data.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3, 32, 32), }";
  header.resize(117, ' ');
  std::ofstream(empty, std::ios::binary) << std::string("\x93NUMPY\x01\x00\x76\x00", 10) << header << '\n';
  const auto r = run_cli(fmt::format("run resnet20 {}", empty));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "cnnzoo: error: " + empty + ": holds no samples (shape 0x3x32x32); an input array needs N >= 1\n");
}

TEST(CliRun, TopAndFormat) {
  const Files f;
  auto r = run_cli(fmt::format("run resnet20 {} --top 0", f.input));
  EXPECT_EQ(r.exit_code, 2);  // out of the flag's range: refused while the command line is parsed
  EXPECT_EQ(r.err, "cnnzoo: error: --top: must be at least 1, got 0 (see `cnnzoo run --help`)\n");
  r = run_cli(fmt::format("run resnet20 {} --format yaml", f.input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "cnnzoo: error: --format: unknown format 'yaml'; known: text, json\n");
  r = run_cli(fmt::format("run resnet20 --weights {} {} --format json --top 20", f.weights, f.input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const Tensor expected = InferenceEngine(f.graph, f.parameters).run(f.x).at(0);
  ASSERT_EQ(j.size(), 2u);
  for (int64_t row = 0; row < 2; ++row) {
    const auto& item = j[static_cast<std::size_t>(row)];
    EXPECT_EQ(item["input"], fmt::format("{}[{}]", f.input, row));
    ASSERT_EQ(item["top"].size(), 10u) << "--top 20 of 10 classes gives the 10";
    const std::vector<double> p = softmax_row(expected, row);
    EXPECT_EQ(item["top"][0]["class"], test::argmax_row(expected, row));
    for (const auto& t : item["top"]) {
      EXPECT_NEAR(t["probability"].get<double>(), p[t["class"].get<std::size_t>()], 1e-5);
      EXPECT_EQ(t["name"], std::to_string(t["class"].get<int64_t>()));
    }
  }
}

TEST(CliRun, OutputsAreCheckedFirstAndNeverOverwriteAnInput) {
  const Files f;
  const std::string before = file_bytes(f.input);
  auto r = run_cli(fmt::format("run resnet20 {0} --output {0}", f.input));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --output {}: is also an input; give another file (run never "
                               "overwrites its inputs)\n",
                               f.input));
  EXPECT_EQ(file_bytes(f.input), before);
  r = run_cli(fmt::format("run resnet20 {} --output-dir {}", f.input, f.weights));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            fmt::format("cnnzoo: error: --output-dir {}: is a file, not a folder; give a folder (it is created when "
                        "missing)\n",
                        f.weights));
  const std::string nowhere = temp("nowhere") + "/y.npy";
  r = run_cli(fmt::format("run resnet20 {} --output {}", f.input, nowhere));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --output {}: the folder {} does not exist; create it first\n", nowhere,
                               temp("nowhere")));
  r = run_cli(fmt::format("run resnet20 {} --output {} --output-dir {}", f.input, f.output, temp("dir")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not both"), std::string::npos) << r.err;

  // --output-dir: each output as NAME.npy, and nothing else (the writes go through a renamed temporary).
  const std::string dir = temp("outputs");
  fs::remove_all(dir);
  r = run_cli(fmt::format("run resnet20 --weights {} {} --output-dir {}", f.weights, f.input, dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0], f.graph.value(f.graph.outputs()[0]).name + ".npy");
  const Tensor expected = InferenceEngine(f.graph, f.parameters).run(f.x).at(0);
  const Tensor y = read_npy(dir + "/" + names[0]);
  ASSERT_EQ(y.shape(), (Dims{2, 10}));
  for (std::size_t i = 0; i < 20; ++i) EXPECT_NEAR(y.f32()[i], expected.f32()[i], 1e-4);
}

// One bad input among good ones: the others' results, a line naming it, exit 1, and no partial --output.
TEST(CliRun, BadInputIsReportedAndTheOthersGoOn) {
  const Files f;
  const std::string bad = temp("bad.npy");
  std::ofstream(bad) << "not numpy";
  const auto alone = run_cli(fmt::format("run resnet20 --seed 1 {}", f.input));
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  fs::remove(f.output);
  const auto r = run_cli(fmt::format("run resnet20 --seed 1 {} {} --output {}", bad, f.input, f.output));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, alone.out);
  const std::vector<std::string> lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 2u) << r.err;
  EXPECT_EQ(lines[0].rfind("cnnzoo: error: " + bad + ": ", 0), 0u) << r.err;
  EXPECT_EQ(lines[1],
            "cnnzoo: error: 1 of 2 inputs could not be used (named above); the others' results are "
            "printed; so no output was written");
  EXPECT_FALSE(fs::exists(f.output));
}

TEST(CliRun, MissingModelOrInputsAndHelp) {
  auto r = run_cli("run");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "cnnzoo: error: give a MODEL (see `cnnzoo list`), an ONNX file or --checkpoint FILE, then the "
            "inputs\n");
  r = run_cli("run resnet20");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "cnnzoo: error: no inputs: give images (PNG/JPEG), .npy arrays or folders of images after the "
            "model (or with --input)\n");
  r = run_cli("run resnet20 x.npy --batch 0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "cnnzoo: error: --batch: must be at least 1, got 0 (see `cnnzoo run --help`)\n");
  r = run_cli("run --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* text : {"--checkpoint", "--weights", "--depth", "--num-classes", "CxHxW", "--top", "--format",
                           "--output-dir", "256/224"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace cnnzoo
