// OnnxSession: imports and compiles an ONNX model for the values its runs bring, again only when a value the model
// holds (a weight given as an input) or an input's shape changes.
#include "cnnzoo/onnx_session.h"

#include <fmt/format.h>

#include <cstring>

#include "cnnzoo/error.h"
#include "onnx/import_state.h"

namespace cnnzoo {
namespace {

// Bit for bit: a weight of -0.0 instead of 0.0, or another NaN, is another model only in its bits, but comparing
// bits is what never keeps a model compiled for other weights.
bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.bytes(), b.bytes(), static_cast<std::size_t>(a.nbytes())) == 0;
}

}  // namespace

OnnxSession::OnnxSession(std::string bytes, std::string source, OnnxImportOptions import_options,
                         EngineOptions engine_options)
    : bytes_(std::make_shared<const std::string>(std::move(bytes))),
      source_(std::move(source)),
      import_options_(std::move(import_options)),
      engine_options_(std::move(engine_options)) {}

OnnxSession OnnxSession::open(const std::string& path, OnnxImportOptions import_options, EngineOptions engine_options) {
  return OnnxSession(onnx_import::read_model_file(path), path, std::move(import_options), std::move(engine_options));
}

OnnxSession::~OnnxSession() = default;
OnnxSession::OnnxSession(OnnxSession&&) noexcept = default;
OnnxSession& OnnxSession::operator=(OnnxSession&&) noexcept = default;

bool OnnxSession::must_compile(const std::map<std::string, Tensor>& inputs) const {
  if (!ready_ || inputs.size() != shapes_.size()) return true;
  for (const auto& [name, tensor] : inputs) {
    const auto shape = shapes_.find(name);
    if (shape == shapes_.end() || shape->second != tensor.shape()) return true;
  }
  for (const auto& [name, held] : held_values_) {
    if (!same_tensor(inputs.at(name), held)) return true;
  }
  return false;
}

void OnnxSession::compile(const std::map<std::string, Tensor>& inputs) {
  engine_.reset();
  ready_ = false;  // until this compilation succeeds: a failed one leaves no model behind
  OnnxImportOptions options = import_options_;
  options.input_values = inputs;
  options.input_shapes.clear();
  OnnxModel model = import_onnx_bytes(*bytes_, source_, options);
  runtime_inputs_.clear();
  for (ValueId v : model.graph.inputs()) {
    const std::string& name = model.graph.value(v).name;
    if (!inputs.contains(name)) throw Error(fmt::format("{}: the model's input '{}' has no value", source_, name));
    runtime_inputs_.push_back(name);
  }
  if (!model.graph.outputs().empty()) {
    EngineOptions engine_options = engine_options_;
    if (!engine_options.reload_parameters) {
      // A run with NaN or infinity in its inputs goes to the reference interpreter, which needs the plain weights:
      // imported again then, rather than kept in memory the whole time.
      engine_options.reload_parameters = [bytes = bytes_, source = source_, options] {
        return import_onnx_bytes(*bytes, source, options).parameters;
      };
    }
    engine_ = std::make_unique<InferenceEngine>(model.graph, std::move(model.parameters), engine_options);
  }
  shapes_.clear();
  for (const auto& [name, tensor] : inputs) shapes_.emplace(name, tensor.shape());
  held_values_.clear();
  for (const std::string& name : model.constant_inputs) held_values_.emplace(name, inputs.at(name));
  constant_inputs_ = std::move(model.constant_inputs);
  output_names_ = std::move(model.output_names);
  constant_outputs_ = std::move(model.constant_outputs);
  ++compilations_;
  ready_ = true;
}

std::vector<NamedTensor> OnnxSession::run(const std::map<std::string, Tensor>& inputs) {
  if (must_compile(inputs)) compile(inputs);
  std::vector<Tensor> outputs;
  if (engine_) {
    std::vector<Tensor> ordered;
    for (const std::string& name : runtime_inputs_) ordered.push_back(inputs.at(name));
    outputs = engine_->run(ordered);
  }
  std::vector<NamedTensor> named;
  std::size_t dynamic = 0;
  for (const std::string& name : output_names_) {
    const auto constant = constant_outputs_.find(name);
    named.push_back({name, constant != constant_outputs_.end() ? constant->second : outputs.at(dynamic++)});
  }
  return named;
}

}  // namespace cnnzoo
