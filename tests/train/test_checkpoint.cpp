#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"
#include "cnnzoo/optim.h"
#include "io/atomic_file.h"
#include "train/train_support.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;
using test::expect_identical;
using test::test_gradients;
using test::tiny_graph;

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = fs::path(::testing::TempDir()) / "cnnzoo_train" / info->test_suite_name() / info->name();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// A checkpoint of the tiny graph after `steps` SGD steps, with metadata as a trainer writes it.
Checkpoint tiny_checkpoint(const Graph& graph, int steps, const OptimizerOptions& options = {.kind = "sgd"}) {
  Parameters params = test_parameters(graph, 11);
  const auto optimizer = make_optimizer(options, graph);
  for (int s = 0; s < steps; ++s) optimizer->step(params, test_gradients(graph, 20 + s), 0.1);
  return {.model = params,
          .optimizer = optimizer->state(),
          .meta = {{"model", "tiny"},
                   {"epoch", std::to_string(steps)},
                   {"iteration", "12345"},
                   {"seed", "18446744073709551615"},
                   {"best_metric", "0.8125"},
                   {"optimizer", to_json(options)},
                   {"schedule", to_json(ScheduleOptions{.kind = "multistep", .milestones = {3, 6}})}}};
}

void expect_same(const Checkpoint& a, const Checkpoint& b) {
  expect_identical(a.model, b.model);
  expect_identical(a.optimizer, b.optimizer);
}

std::string load_error(const std::string& path) {
  try {
    load_checkpoint(path);
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u) << e.what();
    return e.what();
  }
  ADD_FAILURE() << path << ": load succeeded";
  return {};
}

TEST(Checkpoint, RoundTripIsBitIdentical) {
  const Graph graph = tiny_graph();
  const Checkpoint saved = tiny_checkpoint(graph, 2);
  const std::string path = temp_dir() + "/last.safetensors";
  save_checkpoint(path, saved);
  const Checkpoint loaded = load_checkpoint(path);
  expect_same(saved, loaded);
  auto meta = saved.meta;
  meta[kCheckpointFormatKey] = kCheckpointFormat;
  meta[kCheckpointVersionKey] = kCheckpointVersion;
  EXPECT_EQ(loaded.meta, meta);
  EXPECT_EQ(loaded.optimizer.at("optim.step").i64()[0], 2);
  EXPECT_EQ(schedule_options_from_json(loaded.meta.at("schedule")).milestones, (std::vector<int64_t>{3, 6}));

  // Saving what was loaded writes the same bytes.
  const std::string again = fs::path(path).parent_path() / "again.safetensors";
  save_checkpoint(again, loaded);
  EXPECT_EQ(bytes_of(again), bytes_of(path));
}

// Two steps, checkpoint, resume into fresh objects, two more: the same bits as four straight.
TEST(Checkpoint, ResumeThroughFileIsBitIdentical) {
  const Graph graph = tiny_graph();
  const std::string path = temp_dir() + "/last.safetensors";
  for (const OptimizerOptions& options :
       {OptimizerOptions{.kind = "sgd", .nesterov = true}, OptimizerOptions{.kind = "adamw", .weight_decay = 0.05}}) {
    Parameters straight = test_parameters(graph, 11);
    const auto a = make_optimizer(options, graph);
    for (int s = 0; s < 4; ++s) a->step(straight, test_gradients(graph, 20 + s), 0.1);

    save_checkpoint(path, tiny_checkpoint(graph, 2, options));
    Checkpoint resumed = load_checkpoint(path);
    const auto b = make_optimizer(optimizer_options_from_json(resumed.meta.at("optimizer")), graph);
    b->load_state(resumed.optimizer);
    for (int s = 2; s < 4; ++s) b->step(resumed.model, test_gradients(graph, 20 + s), 0.1);
    expect_identical(straight, resumed.model);
    expect_identical(a->state(), b->state());
  }
}

// A zoo model's checkpoint is a weights file once the optimizer's tensors are dropped.
TEST(Checkpoint, ZooModelPassesWeightCheck) {
  const Graph graph = build_model("resnet20");
  Parameters params = init_parameters(graph, init_scheme_for("resnet20"), 5);
  const auto optimizer = make_optimizer({.kind = "sgd", .decay_bn_and_bias = false}, graph);
  optimizer->step(params, test_gradients(graph, 6), 0.1);
  const std::string path = temp_dir() + "/best.safetensors";
  save_checkpoint(path,
                  {.model = params, .optimizer = optimizer->state(), .meta = {{"model", "resnet20"}, {"epoch", "1"}}});

  const TensorFile file = read_safetensors(path);
  EXPECT_FALSE(check_weights(graph, file).ok());  // the optimizer's tensors are unexpected there
  const Parameters weights = model_tensors(file);
  const WeightCheck check = check_parameters(graph, weights);
  EXPECT_TRUE(check.ok()) << check.message();
  expect_identical(weights, params);

  const Checkpoint loaded = load_checkpoint(path);
  expect_identical(loaded.model, params);
  const auto fresh = make_optimizer({.kind = "sgd", .decay_bn_and_bias = false}, graph);
  fresh->load_state(loaded.optimizer);
  EXPECT_EQ(fresh->steps(), 1);
}

TEST(Checkpoint, TruncatedFileIsAnErrorNamingIt) {
  const Graph graph = tiny_graph();
  const std::string dir = temp_dir();
  const std::string path = dir + "/last.safetensors";
  save_checkpoint(path, tiny_checkpoint(graph, 1));
  const std::string bytes = bytes_of(path);
  const std::string cut = dir + "/cut.safetensors";
  for (std::size_t size = 0; size < bytes.size(); size += 1 + size / 4) {
    put(cut, bytes.substr(0, size));
    SCOPED_TRACE(size);
    load_error(cut);
  }
}

TEST(Checkpoint, NotACheckpointNamesTheKey) {
  const std::string dir = temp_dir();
  TensorFile file;
  file.tensors.emplace_back("fc.weight", Tensor(Dims{2, 2}));
  write_safetensors(dir + "/weights.safetensors", file);
  EXPECT_NE(
      load_error(dir + "/weights.safetensors").find("not a cnnzoo checkpoint (metadata key 'cnnzoo.format' missing)"),
      std::string::npos);

  file.metadata = {{"cnnzoo.format", "checkpoint"}, {"cnnzoo.format_version", "1"}, {"model", "tiny"}};
  write_safetensors(dir + "/no_epoch.safetensors", file);
  EXPECT_NE(load_error(dir + "/no_epoch.safetensors").find("lacks the key 'epoch'"), std::string::npos);

  file.metadata = {{"cnnzoo.format", "checkpoint"}, {"model", "tiny"}, {"epoch", "1"}};
  write_safetensors(dir + "/no_version.safetensors", file);
  EXPECT_NE(load_error(dir + "/no_version.safetensors").find("lacks the key 'cnnzoo.format_version'"),
            std::string::npos);

  file.metadata["cnnzoo.format_version"] = "2";
  write_safetensors(dir + "/v2.safetensors", file);
  EXPECT_NE(load_error(dir + "/v2.safetensors").find("format version 2 is not supported"), std::string::npos);

  load_error(dir + "/absent.safetensors");
}

TEST(Checkpoint, SaveRejectsMisnamedTensorsAndKeepsTheOldFile) {
  const Graph graph = tiny_graph();
  const std::string path = temp_dir() + "/last.safetensors";
  const Checkpoint good = tiny_checkpoint(graph, 1);
  save_checkpoint(path, good);
  const std::string before = bytes_of(path);

  Checkpoint bad = good;
  bad.model.emplace("optim.fc.weight", Tensor(Dims{1}));
  EXPECT_THROW(save_checkpoint(path, bad), Error);
  bad = good;
  bad.optimizer.emplace("momentum.fc.weight", Tensor(Dims{1}));
  EXPECT_THROW(save_checkpoint(path, bad), Error);
  bad = good;
  bad.meta.erase("model");
  try {
    save_checkpoint(path, bad);
    ADD_FAILURE() << "saved without a model name";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": checkpoint metadata lacks the key 'model'");
  }
  bad = good;
  bad.optimizer.at("optim.step") = Tensor();  // no storage
  EXPECT_THROW(save_checkpoint(path, bad), Error);
  EXPECT_EQ(bytes_of(path), before);
}

// The writer throws after writing part of the file: the previous checkpoint stays, no temporary is left.
TEST(Checkpoint, InterruptedSaveLeavesThePreviousFile) {
  const Graph graph = tiny_graph();
  const std::string dir = temp_dir();
  const std::string path = dir + "/last.safetensors";
  save_checkpoint(path, tiny_checkpoint(graph, 1));
  const std::string before = bytes_of(path);
  EXPECT_THROW(io::write_file_atomically(path,
                                         [&](std::FILE* f) {
                                           io::write_bytes(f, before.data(), before.size() / 2, path);
                                           throw Error("interrupted");
                                         }),
               Error);
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  expect_same(load_checkpoint(path), tiny_checkpoint(graph, 1));
}

// kill -9 while checkpoints are being written over and over: what is on disk is always a whole one.
TEST(Checkpoint, KilledWriterLeavesAWholeCheckpoint) {
  const Graph graph = tiny_graph();
  const std::string path = temp_dir() + "/last.safetensors";
  const Checkpoint one = tiny_checkpoint(graph, 1);
  const Checkpoint two = tiny_checkpoint(graph, 2);
  save_checkpoint(path, one);
  for (int delay_us : {0, 300, 1000, 2500, 7000}) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int i = 0;; ++i) save_checkpoint(path, i % 2 ? one : two);
    }
    usleep(static_cast<useconds_t>(delay_us));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    const Checkpoint loaded = load_checkpoint(path);
    expect_same(loaded, loaded.meta.at("epoch") == "1" ? one : two);
  }
}

}  // namespace
}  // namespace cnnzoo
