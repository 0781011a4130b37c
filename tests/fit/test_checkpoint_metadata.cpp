// A checkpoint's metadata that a hand edit or damage made malformed is an Error naming the file and the key,
// as `train --resume` and `eval` read it (found by fuzz/fuzz_checkpoint.cpp: these were uncaught
// std::invalid_argument and nlohmann::json::type_error, "internal error" in the CLI).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "fit/run_record.h"
#include "io/file_support.h"

namespace cnnzoo {
namespace {

using fit_detail::resume_point_from_meta;

std::map<std::string, std::string> good_meta() {
  return {{"epoch", "3"},
          {"best_metric", "0.88490000000000002"},
          {"history", "[]"},
          {"epoch_progress", R"({"batches": 5, "loss_sum": 1.5, "correct": 7, "seen": 12, "seconds": 0.25})"}};
}

// The message of resume_point_from_meta on good_meta() with `key` set to `value`.
std::string error_with(const std::string& key, const std::string& value) {
  std::map<std::string, std::string> meta = good_meta();
  meta.insert_or_assign(key, value);
  try {
    resume_point_from_meta(meta, "c.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(CheckpointMetadata, ResumePointReadsTheTrainersValues) {
  const fit_detail::ResumePoint point = resume_point_from_meta(good_meta(), "c.safetensors");
  EXPECT_EQ(point.epochs_done, 3);
  EXPECT_EQ(point.best_top1, 0.88490000000000002);
  EXPECT_EQ(point.progress.batches, 5);
  EXPECT_EQ(point.progress.seen, 12);
  EXPECT_TRUE(point.history.empty());
}

TEST(CheckpointMetadata, MalformedNumbersAreNamed) {
  EXPECT_EQ(error_with("epoch", "x"), "c.safetensors: metadata 'epoch' is not a number: 'x'");
  EXPECT_EQ(error_with("epoch", "3 epochs"), "c.safetensors: metadata 'epoch' is not a number: '3 epochs'");
  EXPECT_EQ(error_with("epoch", "-1"), "c.safetensors: metadata 'epoch' is negative: -1");
  EXPECT_EQ(error_with("best_metric", ""), "c.safetensors: metadata 'best_metric' is not a number: ''");
}

TEST(CheckpointMetadata, MalformedDataJsonIsNamed) {
  const std::string path = test::temp_dir("checkpoint_metadata") + "/c.safetensors";
  Checkpoint c;
  c.meta = {{"model", "resnet20"},
            {"epoch", "1"},
            {"model_options", R"({"num_classes": 10, "input": [1, 28, 28]})"},
            {"data", R"({"spec": 12345, "mean": [0.5], "stddev": [0.5]})"}};
  save_checkpoint(path, c);
  try {
    load_trained_model(path);
    FAIL() << "a 'data' whose spec is a number was accepted";
  } catch (const Error& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with(path + ": metadata 'data' is malformed: ")) << e.what();
  }
}

}  // namespace
}  // namespace cnnzoo
