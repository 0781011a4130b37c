// ONNX import and export: the graph IR and its parameters to and from an ONNX ModelProto.
//
// Import folds everything that is known before a run (initializers, Constant, Shape of static inputs and
// the Gather/Unsqueeze/Concat arithmetic exporters wrap around Reshape) and maps the rest onto IR ops.
// Export writes opset 13 with the weights as initializers, so any ONNX runtime can run a zoo model.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cnnzoo/budgets.h"
#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

struct OnnxImportOptions {
  /// Shapes for graph inputs by name; they replace the file's (and fill its symbolic dimensions).
  std::map<std::string, Dims> input_shapes;
  /// What a symbolic dimension becomes when no shape is given (the batch, usually).
  int64_t symbolic_dim = 1;
  /// Values of graph inputs known before the run, by name, as ONNX's backend runner feeds every input (weights
  /// included) at run time. An op that needs an input's value at import (a Conv's weights, BatchNormalization's
  /// statistics, a Reshape's shape, Pad's pads) takes it from here, and the imported model holds that value (its
  /// name goes to OnnxModel::constant_inputs); an op that reads the input as data makes it a run-time input of the
  /// graph. A value gives its input's shape. An input declared as integer takes int64 values (I64, or F32 holding
  /// integers); it may only be read where a value is needed at import.
  std::map<std::string, Tensor> input_values{};
  /// budgets.folded_bytes bounds each constant the import computes (Gather, Concat, Add, Mul, Sum of
  /// constants): a larger one is an Error naming the node, checked before it is computed.
  DecodeBudgets budgets{};
};

struct OnnxModel {
  Graph graph;
  Parameters parameters;
  /// Every graph output in the file's order, by ONNX name; each is either a graph output of `graph`
  /// (in the same relative order) or a constant the import folded (a Shape of a static input).
  std::vector<std::string> output_names;
  std::map<std::string, Tensor> constant_outputs;
  /// The graph inputs whose values (OnnxImportOptions::input_values) the import built into the model: the model
  /// holds them, and must be imported again for other values of them (OnnxSession does).
  std::vector<std::string> constant_inputs;
  int64_t opset = 0;
  std::string producer;  ///< "pytorch 1.13.1", as the file says
};

/// Reads and imports an ONNX file. A malformed or truncated file, an unsupported op or attribute, a
/// shape that does not fit: an Error naming the file, the node and its op type, and what is supported.
OnnxModel import_onnx(const std::string& path, const OnnxImportOptions& options = {});
/// The same from the bytes of a file; `source` names it in messages.
OnnxModel import_onnx_bytes(std::string_view bytes, const std::string& source, const OnnxImportOptions& options = {});

/// Whether `path` holds an ONNX model, judged by its content (the top-level protobuf fields of a
/// ModelProto, a graph among them), whatever its name: model.bin is recognised, a checkpoint is not.
bool is_onnx_file(const std::string& path);

/// The names of an ONNX file's graph inputs, initializers left out, in the file's order; an Error when there is none.
std::vector<std::string> onnx_input_names(const std::string& path);
/// The names of the graph inputs that an initializer of the same name gives a default value (older exporters list
/// every weight as an input): a value given at run time replaces it (OnnxImportOptions::input_values).
std::vector<std::string> onnx_default_input_names(const std::string& path);

struct Quantization;

/// The opset that export writes.
inline constexpr int64_t kOnnxExportOpset = 13;

/// A graph and its parameters as the bytes of an ONNX model (opset 13). An op or attribute ONNX cannot
/// express is an Error naming the node. With `quantization` (the calibrated ranges of every value of the graph),
/// the int8 model in QDQ form: every convolution and linear layer takes its input through QuantizeLinear and
/// DequantizeLinear with the engine's int8 scale, its weights as s8 per output channel (a following batch norm
/// folded in first) and its bias as int32, each through DequantizeLinear; what --precision int8 computes.
std::string export_onnx_bytes(const Graph& graph, const Parameters& parameters,
                              const Quantization* quantization = nullptr);
/// The same written to `path` atomically (temporary file, fsync, rename).
void export_onnx(const Graph& graph, const Parameters& parameters, const std::string& path,
                 const Quantization* quantization = nullptr);

}  // namespace cnnzoo
