// cnnzoo train, eval, predict and samples as a user runs them, including kill -9 and resume.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli/cpu_flags.h"
#include "cli/run_cli.h"
#include "cli/spawn_cli.h"
#include "cnnzoo/checkpoint.h"

namespace cnnzoo {
namespace {

using test::run_cli;
namespace fs = std::filesystem;

std::string temp(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "cnnzoo_train_" + std::to_string(::getpid()) + "_" + name;
  fs::remove_all(dir);
  return dir;
}

// A short run: 256 training images, 256 test images, batch 64.
const char* kSmall = "--subset 256 --val-subset 256 --batch-size 64 --threads 2 --seed 5";

TEST(CliTrain, TrainEvalPredictAndSamples) {
  const std::string out = temp("run");
  auto r = run_cli(fmt::format("train {} --epochs 1 --out {}", kSmall, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("epoch   1"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(out + "/last.safetensors"));
  EXPECT_TRUE(fs::exists(out + "/best.safetensors"));
  EXPECT_NE(r.err.find("img/s"), std::string::npos) << "progress with a rate";

  r = run_cli(fmt::format("eval --checkpoint {}/best.safetensors --format json", out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"top1", "top5", "loss", "per_class", "confusion"}) EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["images"], 10000);
  EXPECT_EQ(j["confusion"].size(), 10u);
  EXPECT_TRUE(j["per_class"].contains("Ankle boot"));

  r = run_cli(fmt::format("eval --ensemble {0}/best.safetensors {0}/last.safetensors --format json", out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto e = nlohmann::json::parse(r.out);
  EXPECT_EQ(e["members"].size(), 2u);
  EXPECT_TRUE(e["ensemble"].contains("top1"));

  r = run_cli(fmt::format("samples --count 3 --out {}/samples", out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out + "/samples/test_00000_Ankle_boot.png")) << r.out;
  r = run_cli(
      fmt::format("predict --checkpoint {0}/best.safetensors --format json {0}/samples/test_00000_Ankle_boot.png "
                  "{0}/samples/test_00001_Pullover.png",
                  out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto p = nlohmann::json::parse(r.out);
  ASSERT_EQ(p.size(), 2u);
  ASSERT_EQ(p[0]["top"].size(), 5u);
  double total = 0;
  for (const auto& t : p[0]["top"]) total += t["probability"].get<double>();
  EXPECT_LE(total, 1.0 + 1e-6);
  EXPECT_GE(p[0]["top"][0]["probability"].get<double>(), p[0]["top"][1]["probability"].get<double>());

  // A file that is not an image.
  const std::string bad = out + "/notes.png";
  std::ofstream(bad) << "not an image";
  r = run_cli(fmt::format("predict --checkpoint {}/best.safetensors {}", out, bad));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
}

TEST(CliTrain, MissingDataNamesThePackageOrTheFile) {
  auto r = run_cli(fmt::format("train --data fashion-mnist:{} --out {}", temp("nowhere"), temp("out1")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("dataset-fashion-mnist"), std::string::npos) << r.err;
  r = run_cli(fmt::format("train --data cifar10:{} --out {}", temp("nocifar"), temp("out2")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nocifar"), std::string::npos) << r.err;
  r = run_cli(fmt::format("train --data imagenet:/x --out {}", temp("out3")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fashion-mnist"), std::string::npos) << "lists the known kinds: " << r.err;
  r = run_cli(fmt::format("eval --checkpoint {}", temp("missing.safetensors")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.safetensors"), std::string::npos) << r.err;
}

TEST(CliTrain, KilledRunResumesFromTheLastCheckpointAndEndsTheSame) {
  const std::string straight = temp("straight");
  ASSERT_EQ(run_cli(fmt::format("train {} --epochs 3 --out {}", kSmall, straight)).exit_code, 0);

  const std::string killed = temp("killed");
  {
    test::SpawnedCli run(fmt::format("train {} --epochs 3 --out {}", kSmall, killed), "/dev/null", "/dev/null");
    // Wait for the first checkpoint, then kill -9 in the middle of the next epoch.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
    while (!fs::exists(killed + "/last.safetensors") && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    run.signal(SIGKILL);
    run.wait();
  }
  ASSERT_TRUE(fs::exists(killed + "/last.safetensors"));
  EXPECT_NO_THROW(load_checkpoint(killed + "/last.safetensors"));

  auto r = run_cli(fmt::format("train {} --epochs 3 --out {} --resume", kSmall, killed));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Checkpoint a = load_checkpoint(straight + "/last.safetensors");
  const Checkpoint b = load_checkpoint(killed + "/last.safetensors");
  ASSERT_EQ(a.model.size(), b.model.size());
  for (const auto& [name, t] : a.model) {
    EXPECT_EQ(std::memcmp(t.bytes(), b.model.at(name).bytes(), static_cast<std::size_t>(t.nbytes())), 0) << name;
  }
  EXPECT_EQ(b.meta.at("epoch"), "3");
}

// bf16 mixed precision: the checkpoint says so and keeps float32 weights; a run paused and resumed in bf16 ends
// bit for bit where the uninterrupted one does; a resume in another precision is refused, naming both.
TEST(CliTrain, Bf16RunRecordsItsPrecisionAndResumesOnlyInIt) {
  const std::set<std::string> flags = test::cpu_flags();
  const std::string straight = temp("bf16_straight");
  auto r = run_cli(fmt::format("train {} --epochs 2 --precision bf16 --out {}", kSmall, straight));
  if (!flags.contains("avx512_bf16") && !flags.contains("amx_bf16")) {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("bf16 training needs bfloat16 kernels"), std::string::npos) << r.err;
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("seed 5, bf16) into"), std::string::npos) << r.out;
  const Checkpoint a = load_checkpoint(straight + "/last.safetensors");
  EXPECT_EQ(a.meta.at(kCheckpointPrecisionKey), "bf16");
  EXPECT_EQ(a.model.at("fc.weight").dtype(), DType::F32);

  const std::string paused = temp("bf16_paused");
  ASSERT_EQ(
      run_cli(fmt::format("train {} --epochs 2 --precision bf16 --stop-after 1 --out {}", kSmall, paused)).exit_code,
      0);
  r = run_cli(fmt::format("train {} --epochs 2 --out {} --resume", kSmall, paused));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(fmt::format("--resume: {}/last.safetensors was trained in bf16, this run asks for fp32; "
                                   "resume it in bf16",
                                   paused)),
            std::string::npos)
      << r.err;
  r = run_cli(fmt::format("train {} --epochs 2 --precision bf16 --out {} --resume", kSmall, paused));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Checkpoint b = load_checkpoint(paused + "/last.safetensors");
  for (const auto& [name, t] : a.model) {
    EXPECT_EQ(std::memcmp(t.bytes(), b.model.at(name).bytes(), static_cast<std::size_t>(t.nbytes())), 0) << name;
  }
  // Weights trained in bf16 differ from fp32's (else the run was not in bf16).
  const std::string fp32 = temp("fp32_two_epochs");
  ASSERT_EQ(run_cli(fmt::format("train {} --epochs 2 --out {}", kSmall, fp32)).exit_code, 0);
  const Tensor& w = load_checkpoint(fp32 + "/last.safetensors").model.at("fc.weight");
  EXPECT_NE(std::memcmp(w.bytes(), a.model.at("fc.weight").bytes(), static_cast<std::size_t>(w.nbytes())), 0);

  // Without bfloat16 kernels (oneDNN kept below AVX-512, as on a CPU without it) the run is refused, not crawled
  // through reference code.
  ::setenv("DNNL_MAX_CPU_ISA", "AVX2", 1);
  r = run_cli(fmt::format("train {} --precision bf16 --out {}", kSmall, temp("bf16_avx2")));
  ::unsetenv("DNNL_MAX_CPU_ISA");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("cnnzoo: error: --precision: bf16 training needs bfloat16 kernels (AVX-512 BF16 or AMX)", 0),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("train in fp32\n"), std::string::npos) << r.err;

  r = run_cli(fmt::format("train {} --precision int8 --out {}", kSmall, temp("int8")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--precision"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cnnzoo
