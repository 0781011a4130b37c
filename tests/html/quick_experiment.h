// A training experiment's `--quick` run through the CLI, made once per test suite and shared by its tests
// (each quick run trains several small networks: a minute on 2 busy cores).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/run_cli.h"

namespace cnnzoo::test {

/// `Experiment` is a type with `static constexpr const char* kName` ("batchnorm").
template <class Experiment>
class QuickExperiment : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::path(::testing::TempDir()) /
                                     (std::string("cnnzoo_") + Experiment::kName + "_" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    first_ = new CliResult(
        run_cli(fmt::format("experiment {} --quick --threads 2 --out {}", Experiment::kName, dir_->string())));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete first_;
    delete dir_;
  }
  static nlohmann::json results() { return nlohmann::json::parse(slurp((*dir_ / "results.json").string())); }
  static inline std::filesystem::path* dir_ = nullptr;
  static inline CliResult* first_ = nullptr;
};

}  // namespace cnnzoo::test
