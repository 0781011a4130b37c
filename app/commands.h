// The subcommands of the cnnzoo CLI, one file each. Each adds itself to the app; its callback does
// the work and throws cnnzoo::Error on a user's mistake, which main turns into one line and exit 1.
#pragma once

#include <CLI/CLI.hpp>

namespace cnnzoo::cli {

void add_list_command(CLI::App& app);
void add_summary_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_samples_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_experiment_command(CLI::App& app);

}  // namespace cnnzoo::cli
