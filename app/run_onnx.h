// `cnnzoo run FILE.onnx`: a model imported from ONNX, on .npy inputs.
#pragma once

#include <string>
#include <vector>

#include "cnnzoo/budgets.h"
#include "run_outputs.h"

namespace cnnzoo::cli {

/// Runs the ONNX file on `inputs`: "NAME=FILE.npy" binds the graph input NAME, a bare "FILE.npy" the next
/// graph input in order; `budgets` bound the constants its import folds. Returns every output, constant ones
/// included, in the file's order.
std::vector<NamedOutput> run_onnx_model(const std::string& path, const std::vector<std::string>& inputs, int threads,
                                        const DecodeBudgets& budgets);

}  // namespace cnnzoo::cli
