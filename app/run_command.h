// `cnnzoo run` and its alias `predict`: one code path from inputs (images, .npy arrays, folders) through a
// trained checkpoint, a zoo model or an ONNX file to the top classes of each input and, on request, the
// logits as .npy.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "budget_flags.h"
#include "model_flags.h"

namespace cnnzoo::cli {

struct RunArgs {
  std::string model;                    ///< a zoo model, an ONNX file, or (with --checkpoint) the first input
  std::vector<std::string> inputs;      ///< images, .npy arrays and folders of images
  std::vector<std::string> input_flag;  ///< --input: more input files, or the input size CxHxW
  std::string checkpoint;
  std::string weights;
  uint64_t seed = 0;
  ModelFlags model_flags;
  std::vector<const CLI::Option*> model_flag_options;  ///< registered by model_flags: refused with a checkpoint
  std::optional<int64_t> batch;
  int64_t top = 5;
  std::string format = "text";
  std::string output;
  std::string output_dir;
  int threads = 0;
  std::string precision = "fp32";  ///< fp32, bf16 or int8
  int64_t calibration = 512;       ///< int8 of a checkpoint without ranges: training images to calibrate on
  BudgetFlags budget_flags;        ///< how large an image may decode and an ONNX constant fold
};

/// Adds every option of `run` (all but its positional arguments) to `command`, bound to `args`.
void add_run_options(CLI::App& command, RunArgs& args);

/// Prints the top classes of every input and writes the outputs where asked. An input that cannot be used
/// is reported on stderr and the others go on; the error at the end makes the exit status 1.
void run_inputs(const RunArgs& args);

}  // namespace cnnzoo::cli
