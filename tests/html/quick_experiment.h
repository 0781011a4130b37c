// A training experiment's `--quick` run through the CLI (test::ExperimentRun), made once per test suite and
// shared by its tests: each quick run trains several small networks, a minute on 2 busy cores.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/experiment_run.h"

namespace cnnzoo::test {

/// `Experiment` is a type with `static constexpr const char* kName` ("batchnorm").
template <class Experiment>
class QuickExperiment : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    run_ = new ExperimentRun(Experiment::kName, "--quick --threads 2");
    dir_ = &run_->dir;
    first_ = &run_->first;
  }
  static void TearDownTestSuite() {
    delete run_;
    run_ = nullptr;
  }
  static nlohmann::json results() { return run_->results(); }
  static inline ExperimentRun* run_ = nullptr;
  static inline const std::filesystem::path* dir_ = nullptr;  ///< the run's folder
  static inline const CliResult* first_ = nullptr;            ///< what the run printed and how it exited
};

}  // namespace cnnzoo::test
