// cnnzoo bench: the report's keys and how its figures relate. No timing is asserted: these runs are
// a handful of iterations on a machine busy with other tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli/cpu_flags.h"
#include "cli/run_cli.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/models.h"
#include "support/sanitizers.h"

namespace cnnzoo {
namespace {

using nlohmann::json;
using test::cpu_flags;
using test::run_cli;

int64_t macs_of(const std::string& model, const ModelOptions& options = {}) {
  return analyze(build_model(model, options)).total.macs;
}

std::string fp32_unit() { return cpu_flags().contains("avx512f") ? "avx512f" : "avx2+fma"; }

json bench_json(const std::string& args) {
  const auto r = run_cli("bench " + args + " --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);  // stdout holds the object and nothing else
}

TEST(CliBench, JsonReportHasEveryKeyAndConsistentFigures) {
  const json j = bench_json("resnet20 --iterations 2 --warmup 1");
  for (const char* key : {"model", "batch", "input", "threads", "mode", "precision", "iterations", "images_per_s",
                          "latency_ms", "gflops_per_s", "peak_gflops_per_s", "peak_unit", "peak_fraction",
                          "peak_rss_bytes", "arena_bytes", "slice", "flops_per_iteration"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.size(), 17u) << j.dump();
  EXPECT_EQ(j["peak_unit"], fp32_unit());
  EXPECT_EQ(j["slice"], 1);  // batch 1: nothing to slice
  EXPECT_EQ(j["model"], "resnet20");
  EXPECT_EQ(j["batch"], 1);
  EXPECT_EQ(j["input"], json({3, 32, 32}));
  EXPECT_GE(j["threads"].get<int>(), 1);
  EXPECT_EQ(j["mode"], "inference");
  EXPECT_EQ(j["precision"], "fp32");
  EXPECT_EQ(j["iterations"], 2);

  const double median = j["latency_ms"]["median"], min = j["latency_ms"]["min"], max = j["latency_ms"]["max"];
  EXPECT_GT(min, 0);
  EXPECT_LE(min, median);
  EXPECT_LE(median, max);
  EXPECT_NEAR(j["images_per_s"].get<double>(), 1 / (median / 1000), 1e-9 * j["images_per_s"].get<double>());

  const int64_t flops = j["flops_per_iteration"];
  EXPECT_EQ(flops, 2 * macs_of("resnet20"));
  const double gflops = j["gflops_per_s"];
  EXPECT_NEAR(gflops, static_cast<double>(flops) / (median / 1000) / 1e9, 1e-9 * gflops);
  EXPECT_GT(j["peak_gflops_per_s"].get<double>(), 0);
  EXPECT_NEAR(j["peak_fraction"].get<double>(), gflops / j["peak_gflops_per_s"].get<double>(), 1e-9);
  EXPECT_GT(j["peak_fraction"].get<double>(), 0);
  EXPECT_LT(j["peak_fraction"].get<double>(), 1.5);
  EXPECT_GT(j["peak_rss_bytes"].get<int64_t>(), 0);
  // resnet20 at batch 1: the largest activations are 16x32x32 floats (64 KiB); the arena holds a few.
  EXPECT_GE(j["arena_bytes"].get<int64_t>(), 2 * 16 * 32 * 32 * 4);
  EXPECT_LT(j["arena_bytes"].get<int64_t>(), j["peak_rss_bytes"].get<int64_t>());
}

TEST(CliBench, TrainingCountsForwardAndTwiceItForBackward) {
  const json j = bench_json("resnet20 --train --batch 4 --input 3x16x16 --iterations 1 --warmup 0 --threads 1");
  EXPECT_EQ(j["mode"], "train");
  EXPECT_EQ(j["batch"], 4);
  EXPECT_EQ(j["threads"], 1);
  EXPECT_EQ(j["input"], json({3, 16, 16}));
  EXPECT_EQ(j["iterations"], 1);
  EXPECT_EQ(j["flops_per_iteration"].get<int64_t>(),
            3 * 2 * macs_of("resnet20", {.batch = 4, .input = Dims{3, 16, 16}}));
  const double median = j["latency_ms"]["median"];
  EXPECT_EQ(median, j["latency_ms"]["min"].get<double>());
  EXPECT_NEAR(j["images_per_s"].get<double>(), 4 / (median / 1000), 1e-9 * j["images_per_s"].get<double>());
}

// An ONNX file is timed with its own weights at --batch, its FLOPs those of the imported graph (summary's).
TEST(CliBench, AnOnnxFileIsTimedWithItsWeights) {
  const std::string file = std::string(CNNZOO_TEST_DATA) + "/onnx/small_cnn.onnx";  // scripts/make_onnx_fixtures.py
  const json j = bench_json(file + " --batch 3 --iterations 1 --warmup 0 --threads 1");
  EXPECT_EQ(j["model"], "small_cnn.onnx");
  EXPECT_EQ(j["batch"], 3);
  EXPECT_EQ(j["input"], json({3, 16, 16}));
  // conv1 8x16x16x27, conv2 8x8x8x72 and the classifier's 128x5 multiply-adds per image
  // (tests/onnx/test_import.cpp counts them by hand).
  EXPECT_EQ(j["flops_per_iteration"].get<int64_t>(), 2 * 3 * (55296 + 36864 + 640));
}

TEST(CliBench, TextReportGivesUnitsThePeakAndTheConvention) {
  const auto r = run_cli("bench resnet20 --iterations 1 --warmup 0 --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> expected = {"resnet20 inference: batch 1, input 3x32x32, fp32, 1 thread\n",
                                             "\nlatency          median ",
                                             " ms (1 iteration after 0 warm-up)\n",
                                             " images/s\n",
                                             "\nwork             ",
                                             "GFLOP per iteration (2 x ",
                                             "\npeak fp32        ",
                                             " GFLOP/s measured on 1 thread (" + fp32_unit() + " FMA chains)\n",
                                             "\npeak fraction    ",
                                             "% of the fp32 peak (" + fp32_unit() + ")\n",
                                             "\npeak memory      ",
                                             " MiB (peak RSS of the process)\n",
                                             "\nactivation arena ",
                                             "\nslice            1 of 1 samples per run of the plan\n"};
  for (const std::string& text : expected) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << " in\n" << r.out;
  }
  EXPECT_EQ(r.out.find("peak bf16"), std::string::npos) << "fp32 runs name the fp32 peak only";
  const auto help = run_cli("bench --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: cnnzoo bench"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("2 x MACs"), std::string::npos) << help.out;
}

TEST(CliBench, Bf16InferenceReportsItsErrorAgainstFp32) {
  const auto r = run_cli("bench resnet20 --precision bf16 --iterations 2 --warmup 1 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["precision"], "bf16");
  const double relative = j["bf16_logits_error"]["relative"];
  // bfloat16 keeps 8 bits of mantissa: an error, but a small one against the logits' spread.
  EXPECT_GT(relative, 0.0);
  EXPECT_LT(relative, 0.05);
}

// bf16 training steps (mixed precision) where the CPU has a bfloat16 unit; without one oneDNN would train on its
// reference code, and the engine refuses with one line.
TEST(CliBench, Bf16TrainingRunsWhereTheCpuHasABf16Unit) {
  const std::set<std::string> flags = cpu_flags();
  const auto r = run_cli("bench resnet20 --train --precision bf16 --iterations 2 --warmup 1 --format json");
  if (!flags.contains("avx512_bf16") && !flags.contains("amx_bf16")) {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("bf16 training needs bfloat16 kernels"), std::string::npos) << r.err;
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["mode"], "train");
  EXPECT_EQ(j["precision"], "bf16");
  EXPECT_EQ(j["peak_unit"], flags.contains("amx_bf16") ? "amx_bf16" : "avx512_bf16");
  EXPECT_FALSE(j.contains("bf16_logits_error"));  // training compares no logits
  EXPECT_GT(j["images_per_s"].get<double>(), 0.0);
}

// int8 calibrates on random inputs like the timed one, runs every convolution and the classifier on int8, and
// reports how far its logits are from fp32's: a rounding step of 1/127 of each range per layer, so about 1% of
// the logits' spread after 20 layers, and the same top-1 class for nearly every sample.
TEST(CliBench, Int8InferenceRunsEveryLayerOnInt8AndReportsItsErrorAgainstFp32) {
  const json j = bench_json("resnet20 --batch 8 --precision int8 --iterations 2 --warmup 1");
  EXPECT_EQ(j["precision"], "int8");
  const Graph g = build_model("resnet20");
  const auto layers = std::count_if(g.nodes().begin(), g.nodes().end(),
                                    [](const Node& n) { return n.op == OpKind::Conv || n.op == OpKind::Linear; });
  EXPECT_EQ(layers, 20);  // 19 convolutions (identity shortcuts padded with zeros, no 1x1 convolutions) and fc
  EXPECT_EQ(j["int8_layers"], layers);
  const json& error = j["int8_logits_error"];
  EXPECT_GT(error["relative"].get<double>(), 0.0);
  EXPECT_LT(error["relative"].get<double>(), 0.05);
  EXPECT_NEAR(error["relative"].get<double>(), error["max_abs"].get<double>() / error["fp32_range"].get<double>(),
              1e-12);
  EXPECT_GE(error["top1_agreement"].get<double>(), 0.75);  // 6 of 8 at least; random weights, close logits
  EXPECT_LE(error["top1_agreement"].get<double>(), 1.0);
  const auto t = run_cli("bench resnet20 --train --precision int8");
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.err.find("--precision int8 --train: int8 is an inference precision here"), std::string::npos) << t.err;
}

// int8 runs on the CPU's int8 unit: AMX tiles (tdpbusd) where Linux grants them, else AVX-512 VNNI, else AVX
// VNNI (vpdpbusd); its fraction is of that unit's peak in integer operations per second (GOP/s).
TEST(CliBench, Int8FractionIsOfThePeakOfTheInt8Unit) {
  const std::set<std::string> flags = cpu_flags();
  const std::string unit = flags.contains("amx_int8")      ? "amx_int8"
                           : flags.contains("avx512_vnni") ? "avx512_vnni"
                           : flags.contains("avx_vnni")    ? "avx_vnni"
                                                           : fp32_unit();
  const json j = bench_json("resnet20 --precision int8 --iterations 3 --warmup 1");
  EXPECT_EQ(j["peak_unit"], unit);
  const double fp32_peak = j["peak_gflops_per_s"], gops = j["gflops_per_s"], fraction = j["peak_fraction"];
  EXPECT_GT(fraction, 0);
  if (unit == fp32_unit()) {
    EXPECT_TRUE(j["peak_gflops_int8"].is_null()) << j.dump();
    EXPECT_NEAR(fraction, gops / fp32_peak, 1e-9);
  } else {
    EXPECT_NEAR(fraction, gops / j["peak_gflops_int8"].get<double>(), 1e-9);
  }

  const auto r = run_cli("bench resnet20 --precision int8 --iterations 1 --warmup 0 --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nachieved         "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" GOP/s\npeak fp32        "), std::string::npos) << "int8's rate is of integer operations";
  if (unit == fp32_unit()) {
    EXPECT_NE(r.out.find("\npeak int8        none: this CPU has no int8 unit"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("% of the fp32 peak (" + unit + ")\n"), std::string::npos) << r.out;
  } else {
    const std::string method = unit == "amx_int8" ? "amx_int8 tdpbusd tiles" : unit + " vpdpbusd chains";
    EXPECT_NE(r.out.find(" GOP/s measured on 1 thread (" + method + ")\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("% of the int8 peak (" + unit + ")\n"), std::string::npos) << r.out;
  }
  EXPECT_NE(r.out.find("\nint8 layers      20 convolutions and linear layers on int8 (ranges calibrated on 16 "
                       "random images)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nint8 vs fp32     logits differ by at most "), std::string::npos) << r.out;
}

// bf16 runs on the CPU's bf16 unit where it has one (AMX tiles, else AVX-512 BF16 dot products), so its
// fraction is of that unit's peak, measured the same way as the fp32 one; without one, bf16 runs on the fp32
// units and the report says so.
TEST(CliBench, Bf16FractionIsOfThePeakOfTheBf16Unit) {
  const std::set<std::string> flags = cpu_flags();
  const std::string unit = flags.contains("amx_bf16")      ? "amx_bf16"
                           : flags.contains("avx512_bf16") ? "avx512_bf16"
                                                           : fp32_unit();
  const json j = bench_json("resnet20 --precision bf16 --iterations 5 --warmup 2");
  EXPECT_EQ(j["peak_unit"], unit);
  const double fp32_peak = j["peak_gflops_per_s"], gflops = j["gflops_per_s"];
  ASSERT_GT(fp32_peak, 0);
  const double fraction = j["peak_fraction"];
  EXPECT_GT(fraction, 0);
  EXPECT_LE(fraction, 1.1) << "no more than the unit's peak, give or take timing noise";
  if (unit == fp32_unit()) {
    EXPECT_TRUE(j["peak_gflops_bf16"].is_null()) << j.dump();
    EXPECT_NEAR(fraction, gflops / fp32_peak, 1e-9);
  } else {
    const double bf16_peak = j["peak_gflops_bf16"];
    EXPECT_NEAR(fraction, gflops / bf16_peak, 1e-9);
    // vdpbf16ps does 2 bf16 multiply-adds per fp32 lane at the FMA's rate: about twice the fp32 peak. An AMX
    // tile multiply does 16x16x32 at a sixteenth of the rate: 16 times an AVX-512 core's FMAs or more.
    const double ratio = bf16_peak / fp32_peak;
    // A sanitized binary (make asan) times its instrumented loops, not the units: no ratio to expect there.
    const bool measures_the_units = !CNNZOO_TEST_UNDER_ASAN;
    if (measures_the_units && unit == "avx512_bf16") {
      EXPECT_GT(ratio, 1.4);
      EXPECT_LT(ratio, 2.8);
    } else if (measures_the_units) {
      EXPECT_GT(ratio, 4);
      EXPECT_LT(ratio, 64);
    }
  }

  const auto r = run_cli("bench resnet20 --precision bf16 --iterations 1 --warmup 0 --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\npeak fp32        "), std::string::npos) << r.out;
  if (unit == fp32_unit()) {
    EXPECT_NE(r.out.find("\npeak bf16        none: this CPU has no bf16 unit (avx512_bf16 or amx_bf16), so bf16 "
                         "runs on the fp32 units\n"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("% of the fp32 peak (" + unit + ")\n"), std::string::npos) << r.out;
  } else {
    const std::string method = unit == "amx_bf16" ? "amx_bf16 tdpbf16ps tiles" : "avx512_bf16 vdpbf16ps chains";
    EXPECT_NE(r.out.find(" GFLOP/s measured on 1 thread (" + method + ")\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("% of the bf16 peak (" + unit + ")\n"), std::string::npos) << r.out;
  }
}

// ResNet-602 with torchvision's initialisation overflows (batch norm at its initial statistics lets the residual
// sums grow geometrically): the engine computes such values on its reference interpreter, whose time is no
// figure of the engine's, so bench refuses to report it.
TEST(CliBench, ATimeOfTheReferenceInterpreterIsRefused) {
  const auto r = run_cli("bench resnet20 --depth 602 --iterations 1 --warmup 0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("cnnzoo: error: resnet602 with random weights (seed 0) gives values that are not finite (its "
                       "activations overflow), so the engine ran its reference interpreter and the times would not "
                       "be the engine's"),
            std::string::npos)
      << r.err;
}

TEST(CliBench, MistakesAreNamed) {
  auto r = run_cli("bench resnet2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("known models: "), std::string::npos) << r.err;
  r = run_cli("bench resnet20 --iterations 0");
  EXPECT_EQ(r.err, "cnnzoo: error: --iterations must be at least 1, got 0\n");
  EXPECT_EQ(run_cli("bench resnet20 --precision fp16").exit_code, 2);
  EXPECT_EQ(run_cli("bench resnet20 --format yaml").exit_code, 2);
}

}  // namespace
}  // namespace cnnzoo
