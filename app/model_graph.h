// The graph a MODEL argument names, for the subcommands that analyse one (summary, report).
#pragma once

#include <string>

#include "budget_flags.h"
#include "cnnzoo/graph.h"
#include "cnnzoo/onnx.h"
#include "model_flags.h"

namespace cnnzoo::cli {

/// A zoo model built with the flags, or an ONNX file imported at --batch, its first input's C x H x W
/// replaced by --input. A file that fixes its batch (torch.onnx.export without dynamic axes writes 1) is
/// taken at --batch when `batch_given`, as `run` takes any batch: its first input's first dimension is
/// rewritten, with a note on stderr saying so.
Graph model_graph(const std::string& model, const ModelFlags& flags, const BudgetFlags& budget_flags, bool batch_given);

/// The ONNX file `file` imported as model_graph imports it, with its weights.
OnnxModel imported_model(const std::string& file, const ModelFlags& flags, const BudgetFlags& budget_flags,
                         bool batch_given);

}  // namespace cnnzoo::cli
