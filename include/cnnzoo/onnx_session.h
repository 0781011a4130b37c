// An ONNX model run as ONNX's backend runner feeds it: every graph input at run time, weights included.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cnnzoo/engine.h"
#include "cnnzoo/onnx.h"

namespace cnnzoo {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

/// An ONNX model and its compiled engine, for runs whose inputs include values the model needs before it runs:
/// a Conv's weights, BatchNormalization's statistics, a Reshape's shape given as graph inputs. Such a value is built
/// into the compiled model (OnnxImportOptions::input_values); a run that brings another value for one of them, or
/// another shape for any input, imports and compiles the model again. Runs with the same weights reuse the compiled
/// model, which then runs as fast as one whose weights are initializers.
class OnnxSession {
 public:
  /// `bytes`: an ONNX file's content; `source` names it in errors. `import_options.input_values` and
  /// `input_shapes` are replaced by each run's inputs.
  OnnxSession(std::string bytes, std::string source, OnnxImportOptions import_options = {},
              EngineOptions engine_options = {});
  /// The same from a file.
  static OnnxSession open(const std::string& path, OnnxImportOptions import_options = {},
                          EngineOptions engine_options = {});
  ~OnnxSession();
  OnnxSession(OnnxSession&&) noexcept;
  OnnxSession& operator=(OnnxSession&&) noexcept;

  /// Runs on `inputs`, a value for every graph input by name (initializers excluded; an initializer that the file
  /// also lists as an input may be given, and the value replaces it). Returns every graph output in the file's
  /// order, constant ones included. An input missing, unknown or of the wrong type is an Error naming it.
  std::vector<NamedTensor> run(const std::map<std::string, Tensor>& inputs);

  /// How many times the model has been imported and compiled.
  int64_t compilations() const { return compilations_; }
  /// The graph inputs whose values the compiled model holds (OnnxModel::constant_inputs); empty before a run.
  const std::vector<std::string>& constant_inputs() const { return constant_inputs_; }

 private:
  bool must_compile(const std::map<std::string, Tensor>& inputs) const;
  void compile(const std::map<std::string, Tensor>& inputs);

  std::shared_ptr<const std::string> bytes_;  // shared with the engine's reload_parameters
  std::string source_;
  OnnxImportOptions import_options_;
  EngineOptions engine_options_;
  int64_t compilations_ = 0;
  bool ready_ = false;  ///< whether the members below hold a compiled model
  // What the compiled model was made for: every input's shape, and the values it holds.
  std::map<std::string, Dims> shapes_;
  std::map<std::string, Tensor> held_values_;
  std::vector<std::string> constant_inputs_;
  // The compiled model: its run-time inputs in the engine's order, its outputs (file order) and constant ones.
  std::unique_ptr<InferenceEngine> engine_;
  std::vector<std::string> runtime_inputs_;
  std::vector<std::string> output_names_;
  std::map<std::string, Tensor> constant_outputs_;
};

}  // namespace cnnzoo
