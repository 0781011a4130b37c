// cnnzoo train, eval, predict and samples as a user runs them, including kill -9 and resume.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

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

}  // namespace
}  // namespace cnnzoo
