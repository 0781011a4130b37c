// An experiment run once through the CLI into a fresh temporary folder, for a test suite to examine: its
// results.json, its files, and further runs (--resume) on the same folder. The folder goes with the object.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/run_cli.h"

namespace cnnzoo::test {

struct ExperimentRun {
  std::filesystem::path dir;
  CliResult first;

  /// `cnnzoo experiment NAME ARGS --out DIR`, DIR named after the experiment and this process.
  ExperimentRun(const std::string& name, const std::string& args)
      : dir(std::filesystem::path(::testing::TempDir()) / ("cnnzoo_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    first = run_cli("experiment " + name + " " + args + " --out " + dir.string());
  }
  ~ExperimentRun() { std::filesystem::remove_all(dir); }
  ExperimentRun(const ExperimentRun&) = delete;
  ExperimentRun& operator=(const ExperimentRun&) = delete;

  nlohmann::json results() const { return nlohmann::json::parse(slurp((dir / "results.json").string())); }
  std::string file(const std::string& name) const { return slurp((dir / name).string()); }
};

}  // namespace cnnzoo::test
