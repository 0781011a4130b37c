// cnnzoo quantize and eval --precision int8: the ranges a checkpoint gains are those calibrate_on_data finds
// in-process on the same sample, the weights are the checkpoint's, and eval uses the stored ranges (or
// calibrates on training images when there are none) and reports its agreement with fp32.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/run_cli.h"
#include "cli/run_fixtures.h"
#include "cnnzoo/checkpoint.h"
#include "cnnzoo/data.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "cnnzoo/quantization.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run_cli;

// The calibration sample: large enough for stable ranges, small enough for a quick test.
constexpr int64_t kCalibrationImages = 64;

class CliQuantize : public ::testing::Test {
 protected:
  void TearDown() override { fs::remove_all(folder); }

  // Made before the checkpoint that is written into it.
  std::string folder = [] {
    std::string path = test::fresh_path("cnnzoo_quantize_", "dir");
    fs::create_directories(path);
    return path;
  }();
  test::TinyCheckpoint checkpoint{folder + "/tiny.safetensors"};
  std::string quantized = folder + "/tiny-int8.safetensors";

  json eval_json(const std::string& path, const std::string& flags) {
    const auto r = run_cli(fmt::format("eval --checkpoint {} --subset 300 --format json {}", path, flags));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
};

TEST_F(CliQuantize, StoresTheRangesCalibrationFindsWithTheSameWeights) {
  const auto r =
      run_cli(fmt::format("quantize {} --calibration {} --output {}", checkpoint.path, kCalibrationImages, quantized));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const Checkpoint written = load_checkpoint(quantized);
  ASSERT_TRUE(written.meta.contains(kQuantizationKey));
  const Quantization q = quantization_from_json(written.meta.at(kQuantizationKey), quantized);
  EXPECT_EQ(q.method, CalibrationMethod::MinMax);
  EXPECT_EQ(q.images, kCalibrationImages);
  EXPECT_EQ(r.out, fmt::format("wrote {}: int8 ranges of {} values from {} images of fashion-mnist (minmax)\n",
                               quantized, q.ranges.size(), kCalibrationImages));
  EXPECT_TRUE(written.optimizer.empty()) << "a quantized model is for inference";
  for (const auto& [name, tensor] : checkpoint.parameters) {
    ASSERT_TRUE(written.model.contains(name)) << name;
    const Tensor& stored = written.model.at(name);
    ASSERT_EQ(stored.shape(), tensor.shape()) << name;
    ASSERT_EQ(stored.dtype(), tensor.dtype()) << name;
    EXPECT_TRUE(std::equal(stored.bytes(), stored.bytes() + stored.nbytes(), tensor.bytes())) << name;
  }

  // The same sample calibrated here: the same range for every value (to float rounding across thread counts).
  ModelOptions options = checkpoint.options;
  options.batch = kCalibrationImages;
  const Graph graph = build_model("resnet20", options);
  EXPECT_TRUE(missing_ranges(graph, q).empty());
  const auto train = open_dataset("fashion-mnist", Split::Train);
  const Quantization here = calibrate_on_data(graph, checkpoint.parameters, *train, kCalibrationImages);
  ASSERT_EQ(here.ranges.size(), q.ranges.size());
  for (const auto& [name, range] : here.ranges) {
    const ValueRange& stored = q.ranges.at(name);
    const float tolerance = 1e-4f * std::max(std::abs(range.min), std::abs(range.max)) + 1e-6f;
    EXPECT_NEAR(stored.min, range.min, tolerance) << name;
    EXPECT_NEAR(stored.max, range.max, tolerance) << name;
  }
  // The network's input is the normalised image: its range is that of (pixel / 255 - mean) / stddev.
  const ValueRange& input = q.ranges.at(graph.value(graph.inputs().at(0)).name);
  EXPECT_GE(input.min, (0 - checkpoint.mean) / checkpoint.stddev - 1e-5f);
  EXPECT_LE(input.max, (1 - checkpoint.mean) / checkpoint.stddev + 1e-5f);
  EXPECT_LT(input.min, 0);

  // The percentile method clips |x|: never wider than min-max's ranges.
  const std::string clipped = folder + "/tiny-p.safetensors";
  ASSERT_EQ(run_cli(fmt::format("quantize {} --calibration {} --method percentile --percentile 99 --output {}",
                                checkpoint.path, kCalibrationImages, clipped))
                .exit_code,
            0);
  const Quantization p = quantization_from_json(load_checkpoint(clipped).meta.at(kQuantizationKey), clipped);
  EXPECT_EQ(p.method, CalibrationMethod::Percentile);
  EXPECT_EQ(p.percentile, 99);
  int64_t narrower = 0;
  for (const auto& [name, range] : p.ranges) {
    const ValueRange& full = q.ranges.at(name);
    EXPECT_GE(range.min, full.min - 1e-5f * std::abs(full.min)) << name;
    EXPECT_LE(range.max, full.max + 1e-5f * std::abs(full.max)) << name;
    narrower += range.max < full.max;
  }
  EXPECT_GT(narrower, static_cast<int64_t>(p.ranges.size()) / 2) << "the 99th percentile clips most values";
}

TEST_F(CliQuantize, EvalUsesTheStoredRangesElseCalibratesAndReportsAgreement) {
  ASSERT_EQ(
      run_cli(fmt::format("quantize {} --calibration {} --output {}", checkpoint.path, kCalibrationImages, quantized))
          .exit_code,
      0);
  const json fp32 = eval_json(checkpoint.path, "");
  const json stored = eval_json(quantized, "--precision int8");
  EXPECT_EQ(stored["precision"], "int8");
  EXPECT_EQ(stored["calibration"]["from_checkpoint"], true);
  EXPECT_EQ(stored["calibration"]["images"], kCalibrationImages);
  EXPECT_EQ(stored["calibration"]["method"], "minmax");
  EXPECT_EQ(stored["calibration"]["source"], "fashion-mnist");
  const double agreement = stored["top1_agreement_with_fp32"];
  // 8-bit steps move only near-ties: nearly every prediction is fp32's.
  EXPECT_GE(agreement, 0.95);
  EXPECT_LE(agreement, 1.0);
  // Each image whose prediction changed can change top-1 by one image's share, no more.
  EXPECT_LE(std::abs(stored["top1"].get<double>() - fp32["top1"].get<double>()), 1 - agreement + 1e-9);

  // Without stored ranges, eval calibrates on --calibration training images: the same sample, the same ranges,
  // the same predictions as the stored ones.
  const json here = eval_json(checkpoint.path, fmt::format("--precision int8 --calibration {}", kCalibrationImages));
  EXPECT_EQ(here["calibration"]["from_checkpoint"], false);
  EXPECT_EQ(here["calibration"]["images"], kCalibrationImages);
  EXPECT_NEAR(here["top1"].get<double>(), stored["top1"].get<double>(), 2.0 / 300);

  const auto text = run_cli(fmt::format("eval --checkpoint {} --subset 300 --precision int8", quantized));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(fmt::format("\nint8 ranges: the checkpoint's calibration (minmax on {} images of "
                                      "fashion-mnist)\ntop-1 agreement with fp32: ",
                                      kCalibrationImages)),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("% of 300 images\n"), std::string::npos) << text.out;
}

// run --precision int8 with a quantized checkpoint computes what the engine computes with its ranges; a zoo
// model without ranges calibrates on the inputs themselves and says so; an ONNX model stays fp32.
TEST_F(CliQuantize, RunUsesTheStoredRangesAsTheEngineDoes) {
  ASSERT_EQ(
      run_cli(fmt::format("quantize {} --calibration {} --output {}", checkpoint.path, kCalibrationImages, quantized))
          .exit_code,
      0);
  const Tensor x = test_uniform("run.input", {4, 1, 28, 28}, 3, -0.8, 2.5);  // the normalised images' range
  const std::string npy = folder + "/x.npy", logits = folder + "/logits.npy";
  write_npy(npy, x);
  const auto r = run_cli(fmt::format("run --checkpoint {} {} --precision int8 --output {}", quantized, npy, logits));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const Tensor got = read_npy(logits);

  ModelOptions options = checkpoint.options;
  options.batch = 4;
  const Graph graph = build_model("resnet20", options);
  auto q = std::make_shared<const Quantization>(
      quantization_from_json(load_checkpoint(quantized).meta.at(kQuantizationKey), quantized));
  const Tensor want =
      InferenceEngine(graph, checkpoint.parameters, {.precision = Precision::INT8, .quantization = q}).run(x).at(0);
  const Tensor fp32 = checkpoint.logits(x);
  ASSERT_EQ(got.shape(), want.shape());
  const auto [lo, hi] = std::minmax_element(fp32.f32().begin(), fp32.f32().end());
  const float range = *hi - *lo;
  for (std::size_t i = 0; i < got.f32().size(); ++i) {
    EXPECT_NEAR(got.f32()[i], want.f32()[i], 1e-5f * range) << i;  // the same int8 plan
    EXPECT_NEAR(got.f32()[i], fp32.f32()[i], 0.05f * range) << i;  // a few rounding steps from fp32
  }

  const auto zoo = run_cli(fmt::format("run resnet18 --input 1x28x28 --num-classes 10 {} --precision int8", npy));
  EXPECT_EQ(zoo.exit_code, 0) << zoo.err;
  EXPECT_EQ(zoo.err,
            "int8: resnet18 has no calibrated ranges; they come from the first 4 samples of the inputs themselves "
            "(`cnnzoo quantize` stores ranges from a training set with a checkpoint or a weights file)\n");
  const auto onnx = run_cli(fmt::format("run model.onnx {} --precision int8", npy));
  EXPECT_EQ(onnx.exit_code, 1);
  EXPECT_EQ(onnx.err, "cnnzoo: error: --precision int8: an ONNX model runs in fp32 here; drop --precision\n");
}

TEST_F(CliQuantize, MistakesAreOneLine) {
  auto r = run_cli(fmt::format("quantize {} --output {}", checkpoint.path, checkpoint.path));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --output {}: that is the checkpoint being read; name another file\n",
                               checkpoint.path));
  r = run_cli(fmt::format("quantize {} --method entropy --output {}", checkpoint.path, quantized));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "cnnzoo: error: --method: entropy not in {minmax,percentile} (see `cnnzoo quantize --help`)\n");
  EXPECT_FALSE(fs::exists(quantized));
  r = run_cli(fmt::format("quantize {} --calibration 0 --output {}", checkpoint.path, quantized));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_cli(fmt::format("quantize {} --output {}", folder + "/missing.safetensors", quantized));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.safetensors"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;

  // Ranges that are not JSON, or lack a value of the model, are refused naming the file.
  Checkpoint bad = load_checkpoint(checkpoint.path);
  bad.meta[kQuantizationKey] =
      R"({"format_version": 1, "method": "minmax", "images": 8, "source": "test", "ranges": {"x": [1, 0]}})";
  const std::string inverted = folder + "/inverted.safetensors";
  save_checkpoint(inverted, bad);
  r = run_cli(fmt::format("eval --checkpoint {} --precision int8 --subset 10", inverted));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: {}: its int8 calibration (cnnzoo.quantization) has a range for 'x' "
                               "whose min exceeds its max; write it again with `cnnzoo quantize`\n",
                               inverted));
  bad.meta[kQuantizationKey] =
      R"({"format_version": 1, "method": "minmax", "images": 8, "source": "test", "ranges": {"x": [0, 1]}})";
  save_checkpoint(inverted, bad);
  r = run_cli(fmt::format("eval --checkpoint {} --precision int8 --subset 10", inverted));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the int8 calibration lacks the range of "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
}

// A zoo model with a user's weights (a torchvision state_dict): quantize writes that file again with the ranges
// calibrate_on_data finds on the same folder of images, and `run MODEL --weights FILE --precision int8` uses them.
TEST_F(CliQuantize, AZooModelWithWeightsGetsItsRangesInTheWeightsFile) {
  const Graph graph = build_model("resnet20", {.batch = 6});
  const Parameters parameters = test_parameters(graph, 7);
  const std::string weights = folder + "/resnet20.safetensors";
  TensorFile file;
  for (const auto& [name, t] : parameters) file.tensors.emplace_back(name, t);
  file.metadata["origin"] = "a user's file";
  write_safetensors(weights, file);
  const std::string images = std::string(CNNZOO_TEST_DATA) + "/datasets/folder";  // 6 images in 2 classes
  const std::string ranged = folder + "/resnet20-int8.safetensors";
  auto r = run_cli(fmt::format("quantize resnet20 --weights {} --data folder:{} --calibration 6 --output {}", weights,
                               images, ranged));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The folder's training split: 5 of its 6 images (--val-split's default 0.1 holds one out).
  EXPECT_NE(r.out.find("from 5 images of folder"), std::string::npos) << r.out;

  const TensorFile written = read_safetensors(ranged);
  ASSERT_EQ(written.tensors.size(), file.tensors.size());
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    const Tensor& a = file.tensors[i].second;
    EXPECT_EQ(written.tensors[i].first, file.tensors[i].first);
    EXPECT_EQ(std::memcmp(a.bytes(), written.tensors[i].second.bytes(), static_cast<std::size_t>(a.nbytes())), 0);
  }
  EXPECT_EQ(written.metadata.at("origin"), "a user's file");
  EXPECT_EQ(written.metadata.at(kCheckpointModelKey), "resnet20");
  // The ranges of the same calibration in-process: resnet20's 3x32x32 input, the folder's training split.
  const std::unique_ptr<Dataset> data = open_dataset("folder:" + images, Split::Train, {.image_size = 32});
  const Quantization want = calibrate_on_data(graph, parameters, *data, 6);
  const Quantization got = quantization_from_json(written.metadata.at(kQuantizationKey), ranged);
  ASSERT_EQ(got.ranges.size(), want.ranges.size());
  for (const auto& [name, range] : want.ranges) {
    ASSERT_TRUE(got.ranges.contains(name)) << name;
    EXPECT_FLOAT_EQ(got.ranges.at(name).min, range.min) << name;
    EXPECT_FLOAT_EQ(got.ranges.at(name).max, range.max) << name;
  }

  // run uses the stored ranges (no note about calibrating on the inputs), and so gives the engine's logits.
  const Tensor x = test_uniform("run.input", {2, 3, 32, 32}, 3, -2, 2);
  const std::string npy = folder + "/x32.npy", logits = folder + "/logits32.npy";
  write_npy(npy, x);
  r = run_cli(fmt::format("run resnet20 --weights {} {} --precision int8 --output {}", ranged, npy, logits));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ModelOptions two{.batch = 2};
  const Tensor engine =
      InferenceEngine(build_model("resnet20", two), parameters,
                      {.precision = Precision::INT8, .quantization = std::make_shared<const Quantization>(got)})
          .run(x)
          .at(0);
  const Tensor ran = read_npy(logits);
  ASSERT_EQ(ran.numel(), engine.numel());
  for (int64_t i = 0; i < ran.numel(); ++i) EXPECT_NEAR(ran.f32()[i], engine.f32()[i], 1e-5f) << i;

  // Mistakes: no weights, no data, the weights file as the output, ranges of another model.
  r = run_cli(fmt::format("quantize resnet20 --data folder:{} --output {}", images, folder + "/a.safetensors"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "cnnzoo: error: --weights: resnet20's ranges belong to its weights; give --weights FILE (a "
            "torchvision state_dict of resnet20)\n");
  r = run_cli(fmt::format("quantize resnet20 --weights {} --output {}", weights, folder + "/a.safetensors"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--data: resnet20 has no training set of its own"), std::string::npos) << r.err;
  r = run_cli(fmt::format("quantize resnet20 --weights {0} --data folder:{1} --output {0}", weights, images));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --output {}: that is the weights file being read; name another file\n",
                               weights));
  r = run_cli(fmt::format("run resnet32 --weights {} {} --precision int8", ranged, npy));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --weights {}: its int8 ranges were calibrated for resnet20, not "
                               "resnet32\n",
                               ranged));
}

}  // namespace
}  // namespace cnnzoo
