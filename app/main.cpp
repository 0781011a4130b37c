// cnnzoo: define, analyse and compare the classic ImageNet CNNs.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cnnzoo/error.h"
#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"cnnzoo: the classic ImageNet CNNs - define, analyse, compare, run, train, bench", "cnnzoo"};
  app.require_subcommand(1);
  cnnzoo::cli::add_list_command(app);
  cnnzoo::cli::add_summary_command(app);
  cnnzoo::cli::add_compare_command(app);
  cnnzoo::cli::add_run_command(app);
  cnnzoo::cli::add_train_command(app);
  cnnzoo::cli::add_eval_command(app);
  cnnzoo::cli::add_predict_command(app);
  cnnzoo::cli::add_samples_command(app);
  cnnzoo::cli::add_export_command(app);
  cnnzoo::cli::add_bench_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const cnnzoo::Error& e) {
    fmt::print(stderr, "cnnzoo: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "cnnzoo: internal error: {}\n", e.what());
    return 3;
  }
  return 0;
}
