// Issue 12, faults during training: `cnnzoo train` stopped by SIGINT/SIGTERM, killed with SIGKILL at random
// moments (checkpoint writes included), and writing to a file system that fills up. In each case the run
// resumes and ends with the weights of an uninterrupted run, and no checkpoint is ever unreadable.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <thread>

#include "cli/run_cli.h"
#include "cli/spawn_cli.h"
#include "cnnzoo/checkpoint.h"
#include "support/same_bits.h"

namespace cnnzoo {
namespace {

using test::run_cli;
using test::slurp;
using test::SpawnedCli;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string temp(const std::string& name) {
  const std::string path = ::testing::TempDir() + "cnnzoo_faults_" + std::to_string(::getpid()) + "_" + name;
  fs::remove_all(path);
  return path;
}

// A small run: resnet8 (resnet20 at depth 8) on 128 images, 4 batches an epoch, 64 validation images.
std::string small_run(int64_t epochs, const std::string& out) {
  return fmt::format(
      "train --depth 8 --subset 128 --val-subset 64 --batch 32 --threads 2 --seed 7 --epochs {} --out {}", epochs, out);
}

// The weights and the optimizer's state of two runs' last checkpoints, and their best weights, are the same bits.
void expect_same_run(const std::string& a, const std::string& b) {
  const Checkpoint x = load_checkpoint(a + "/last.safetensors");
  const Checkpoint y = load_checkpoint(b + "/last.safetensors");
  test::expect_same_tensors(x.model, y.model);
  test::expect_same_tensors(x.optimizer, y.optimizer);
  EXPECT_EQ(x.meta.at(kCheckpointEpochKey), y.meta.at(kCheckpointEpochKey));
  test::expect_same_tensors(load_checkpoint(a + "/best.safetensors").model,
                            load_checkpoint(b + "/best.safetensors").model);
}

// metrics.csv without its seconds column (the last): what an interrupted run must reproduce.
std::vector<std::string> metrics_without_time(const std::string& dir) {
  std::vector<std::string> rows;
  std::ifstream csv(dir + "/metrics.csv");
  for (std::string line; std::getline(csv, line);) rows.push_back(line.substr(0, line.rfind(',')));
  return rows;
}

// The temporary files of atomic writes (.NAME.tmp.XXXXXX) in `dir`.
int temporaries_in(const std::string& dir) {
  int count = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    count += entry.path().filename().string().find(".tmp.") != std::string::npos;
  }
  return count;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit,
                std::chrono::microseconds poll = std::chrono::milliseconds(5)) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

// The lines "epoch N ..." a run printed: each comes after its epoch's checkpoint is written.
int64_t epochs_printed(const std::string& stdout_file) {
  std::ifstream in(stdout_file);
  int64_t count = 0;
  for (std::string line; std::getline(in, line);) count += line.starts_with("epoch ");
  return count;
}

int64_t checkpoint_epoch(const std::string& dir) {
  return std::stoll(load_checkpoint(dir + "/last.safetensors").meta.at(kCheckpointEpochKey));
}

// An uninterrupted run into `dir`, timed from its header line: to its first checkpoint (loading the data,
// building the engine and the first epoch), and then an epoch (training, evaluation, checkpoints). Kills are
// timed from the header by these figures, so that they land in the run however fast the machine is.
struct StraightRun {
  std::chrono::milliseconds first_epoch;
  std::chrono::milliseconds epoch;
};
StraightRun run_straight(int64_t epochs, const std::string& dir) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const std::string out = temp("straight_out.txt"), err = temp("straight_err.txt");
  SpawnedCli run(small_run(epochs, dir), out, err);
  EXPECT_TRUE(
      wait_until([&] { return slurp(out).starts_with("training ") || run.finished(); }, std::chrono::minutes(1)));
  const auto header = Clock::now();
  EXPECT_TRUE(wait_until([&] { return fs::exists(dir + "/last.safetensors") || run.finished(); },
                         std::chrono::minutes(2), std::chrono::milliseconds(1)));
  const auto first = Clock::now();
  const int status = run.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(err);
  const StraightRun timing{std::max(duration_cast<milliseconds>(first - header), milliseconds(1)),
                           std::max(duration_cast<milliseconds>(Clock::now() - first) / (epochs - 1), milliseconds(1))};
  std::cout << fmt::format("  straight run: {} ms from the header to the first checkpoint, then {} ms an epoch\n",
                           timing.first_epoch.count(), timing.epoch.count());
  return timing;
}

// Stops a run with `sig` at a moment `ready` chooses; checks the line it prints and the position its
// checkpoint holds, and that it ends as the signal would have it.
void stop_with(int sig, const std::string& dir, const std::function<void(SpawnedCli&)>& ready) {
  const std::string out = temp("stop_out.txt"), err = temp("stop_err.txt");
  const bool resume = fs::exists(dir + "/last.safetensors");
  SpawnedCli run(small_run(3, dir) + (resume ? " --resume" : ""), out, err);
  // The handlers are in place once the header line is out.
  ASSERT_TRUE(wait_until([&] { return slurp(out).starts_with("training "); }, std::chrono::seconds(60)));
  ready(run);
  run.signal(sig);
  const int status = run.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status) << ": " << slurp(err);
  EXPECT_EQ(WTERMSIG(status), sig);
  const std::string text = slurp(out);
  const std::string last_line = text.substr(text.rfind('\n', text.size() - 2) + 1);
  const std::regex shape(fmt::format(
      "stopped by {} after (\\d+) epochs? and (\\d+) batch(es)? of epoch (\\d+): {}/last.safetensors holds this "
      "point; the same command with --resume continues from it\n",
      sig == SIGINT ? "SIGINT" : "SIGTERM", dir));
  std::smatch m;
  ASSERT_TRUE(std::regex_match(last_line, m, shape)) << text;
  const Checkpoint c = load_checkpoint(dir + "/last.safetensors");
  EXPECT_EQ(c.meta.at(kCheckpointEpochKey), m[1].str());
  EXPECT_EQ(std::stoll(m[4].str()), std::stoll(m[1].str()) + 1);
  const auto progress = nlohmann::json::parse(c.meta.at(kCheckpointEpochProgressKey));
  EXPECT_EQ(progress.at("batches").get<int64_t>(), std::stoll(m[2].str()));
  EXPECT_LE(progress.at("batches").get<int64_t>(), 4);
  EXPECT_EQ(c.meta.at(kCheckpointIterationKey), std::to_string(std::stoll(m[1].str()) * 4 + std::stoll(m[2].str())));
  std::cout << "  " << last_line;
}

TEST(CliFaults, SigtermAndSigintStopAtTheBatchReachedAndResumeExactly) {
  const std::string straight = temp("signal_straight");
  const StraightRun timing = run_straight(3, straight);
  const std::string dir = temp("signalled");
  // SIGTERM as soon as the first epoch's checkpoint is there: mid-way through epoch 2.
  stop_with(SIGTERM, dir, [&](SpawnedCli& run) {
    ASSERT_TRUE(
        wait_until([&] { return fs::exists(dir + "/last.safetensors") || run.finished(); }, std::chrono::seconds(120)));
  });
  // SIGINT about half an epoch into the resumed run: wherever it is then. On a loaded machine the resumed run
  // can go faster than the timing says, so the signal goes at the latest when its next checkpoint lands: its
  // last epoch is still ahead then, and the run cannot have ended.
  const auto resumed_from = fs::last_write_time(dir + "/last.safetensors");
  stop_with(SIGINT, dir, [&](SpawnedCli&) {
    wait_until([&] { return fs::last_write_time(dir + "/last.safetensors") != resumed_from; },
               std::max(timing.first_epoch - timing.epoch / 2, std::chrono::milliseconds(1)),
               std::chrono::milliseconds(1));
  });
  const auto r = run_cli(small_run(3, dir) + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_run(straight, dir);
  EXPECT_EQ(metrics_without_time(dir), metrics_without_time(straight));
  EXPECT_EQ(metrics_without_time(dir).size(), 4u);  // the header and 3 epochs
}

// The issue asks for 100 kills; the default suite makes CNNZOO_KILLS (10), the CTest test
// train_killed_100_times (label `long`) 100.
TEST(CliFaults, KilledAtRandomMomentsAlwaysResumesAndEndsTheSame) {
  const char* env = std::getenv("CNNZOO_KILLS");
  const int kills = env != nullptr ? std::atoi(env) : 10;
  ASSERT_GT(kills, 0);
  // Kills land anywhere in the first 2.5 epochs of a run, so that about every other kill gains an epoch: the
  // run is long enough that most kills land in it, and most resumes continue from a checkpoint.
  const int64_t epochs = std::max(5, kills / 2);
  const std::string straight = temp("kill_straight");
  const StraightRun timing = run_straight(epochs, straight);

  const std::string dir = temp("killed");
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> delay_ms(0, timing.first_epoch.count() + timing.epoch.count() * 3 / 2);
  int64_t epoch = 0;
  int during_writes = 0, finished = 0, resumed = 0;
  const std::string out = temp("kill_out.txt"), err = temp("kill_err.txt");
  for (int k = 0; k < kills; ++k) {
    const bool resume = fs::exists(dir + "/last.safetensors");
    resumed += resume;
    SpawnedCli run(small_run(epochs, dir) + (resume ? " --resume" : ""), out, err);
    wait_until([&] { return slurp(out).starts_with("training ") || run.finished(); }, std::chrono::minutes(1));
    if (k % 3 == 2) {
      // Aimed at a checkpoint write: the moment a temporary file appears.
      wait_until([&] { return temporaries_in(dir) > 0 || run.finished(); }, timing.first_epoch + timing.epoch * epochs,
                 std::chrono::microseconds(100));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    }
    run.signal(SIGKILL);
    const int status = run.wait();
    if (WIFEXITED(status)) {
      ++finished;
      ASSERT_EQ(WEXITSTATUS(status), 0) << "kill " << k << " (seed " << seed << "): " << slurp(err);
    }
    during_writes += temporaries_in(dir) > 0;
    if (!fs::exists(dir + "/last.safetensors")) continue;  // killed before its first epoch ended
    // Never unreadable, never behind: every epoch the killed run reported is in it.
    ASSERT_NO_THROW(load_checkpoint(dir + "/last.safetensors")) << "kill " << k << " (seed " << seed << ")";
    // best.safetensors is written first: it is there whenever last.safetensors is.
    ASSERT_NO_THROW(load_checkpoint(dir + "/best.safetensors")) << "kill " << k << " (seed " << seed << ")";
    const int64_t now = checkpoint_epoch(dir);
    EXPECT_GE(now, epoch + epochs_printed(out)) << "kill " << k << " (seed " << seed << ") lost a finished epoch";
    epoch = now;
  }
  // Resumed from where the kills left it, or begun afresh if none of them outlived the first epoch.
  const auto r = run_cli(small_run(epochs, dir) + (fs::exists(dir + "/last.safetensors") ? " --resume" : ""));
  ASSERT_EQ(r.exit_code, 0) << r.err << " (seed " << seed << ")";
  expect_same_run(straight, dir);
  EXPECT_EQ(metrics_without_time(dir), metrics_without_time(straight));
  EXPECT_EQ(temporaries_in(dir), 0) << "a resumed run clears what killed writes left";
  std::cout << fmt::format(
      "  {} kills (seed {}): {} during a checkpoint write, {} runs resumed, {} finished before their kill, "
      "{} of {} epochs done at the last kill\n",
      kills, seed, during_writes, resumed, finished, epoch, epochs);
}

// Two runs into one --out would overwrite each other's checkpoints: the second is refused while the first
// runs, and may start once the first is gone, killed with SIGKILL included (the kernel drops the lock).
TEST(CliFaults, ASecondRunIntoTheSameFolderIsRefusedWhileTheFirstRuns) {
  const std::string dir = temp("locked");
  const std::string out = temp("lock_out.txt"), err = temp("lock_err.txt");
  {
    SpawnedCli first(small_run(50, dir), out, err);
    ASSERT_TRUE(
        wait_until([&] { return fs::exists(dir + "/last.safetensors") || first.finished(); }, std::chrono::minutes(2)));
    ASSERT_FALSE(first.finished()) << slurp(err);
    const auto r = run_cli(small_run(50, dir) + " --resume");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --out {}: another cnnzoo run is writing into this folder; wait for "
                                 "it to end or choose another --out\n",
                                 dir));
    first.signal(SIGKILL);
    first.wait();
  }
  const auto r = run_cli(small_run(50, dir) + " --resume --stop-after 1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A tmpfs of its own, unmounted at the end.
class SmallFileSystem {
 public:
  SmallFileSystem(const std::string& dir, const std::string& size) : dir_(dir) {
    fs::create_directories(dir);
    const std::string err = temp("mount_err.txt");
    mounted_ = std::system(fmt::format("mount -t tmpfs -o size={} tmpfs {} 2>{}", size, dir, err).c_str()) == 0;
    why_ = slurp(err);
  }
  ~SmallFileSystem() {
    if (mounted_) std::system(fmt::format("umount {}", dir_).c_str());
  }
  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_; }
  bool resize(const std::string& size) const {
    return std::system(fmt::format("mount -o remount,size={} {}", size, dir_).c_str()) == 0;
  }

 private:
  std::string dir_, why_;
  bool mounted_ = false;
};

TEST(CliFaults, AFullDiskStopsTheRunWithAClearMessageAndKeepsTheLastCheckpoint) {
  // A checkpoint of this run is 609 KB: epoch 1 writes last and best (1.2 MB); the new last of epoch 2 does
  // not fit beside them in 1.6 MB.
  const std::string mount_point = temp("tmpfs");
  const SmallFileSystem disk(mount_point, "1600k");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): " << disk.why_not();
  const std::string dir = mount_point + "/run";
  auto r = run_cli(small_run(3, dir));
  EXPECT_EQ(r.exit_code, 1);
  // The last line, below the progress lines.
  ASSERT_NE(r.err.rfind("cnnzoo: error: "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.substr(r.err.rfind("cnnzoo: error: ")),
            fmt::format("cnnzoo: error: {}/last.safetensors: write failed: No space left on device; free "
                        "some space or write elsewhere (the file is left as it was)\n",
                        dir));
  EXPECT_NE(r.out.find("\nepoch   1 "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\nepoch   2 "), std::string::npos) << r.out;
  EXPECT_EQ(temporaries_in(dir), 0) << "the failed write removed its temporary file";
  EXPECT_EQ(checkpoint_epoch(dir), 1);
  EXPECT_NO_THROW(load_checkpoint(dir + "/best.safetensors"));
  // With room again, the run resumes from that checkpoint and ends as an uninterrupted one.
  ASSERT_TRUE(disk.resize("16m"));
  r = run_cli(small_run(3, dir) + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string straight = temp("disk_straight");
  ASSERT_EQ(run_cli(small_run(3, straight)).exit_code, 0);
  expect_same_run(straight, dir);
}

}  // namespace
}  // namespace cnnzoo
