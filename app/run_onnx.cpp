#include "run_onnx.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/io.h"
#include "cnnzoo/onnx.h"
#include "cnnzoo/onnx_session.h"
#include "non_finite_warning.h"

namespace cnnzoo::cli {
namespace {

// `names` must each be given, by name or in order; `defaults` (inputs with an initializer) may be, by name.
std::map<std::string, Tensor> read_onnx_inputs(const std::vector<std::string>& specs,
                                               const std::vector<std::string>& names,
                                               const std::vector<std::string>& defaults) {
  std::map<std::string, Tensor> bound;
  std::size_t next = 0;
  const auto is_input = [&](const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end() ||
           std::find(defaults.begin(), defaults.end(), name) != defaults.end();
  };
  for (const std::string& spec : specs) {
    const auto eq = spec.find('=');
    std::string name;
    std::string file = spec;
    if (eq != std::string::npos && is_input(spec.substr(0, eq))) {
      name = spec.substr(0, eq);
      file = spec.substr(eq + 1);
    } else {
      while (next < names.size() && bound.contains(names[next])) ++next;
      if (next == names.size()) {
        throw InvalidArgument(fmt::format("--input {}: the model has {} input{} ({}), all given already", spec,
                                          names.size(), names.size() == 1 ? "" : "s", fmt::join(names, ", ")));
      }
      name = names[next];
    }
    if (bound.contains(name)) throw InvalidArgument(fmt::format("--input: '{}' is given twice", name));
    bound.emplace(name, read_npy(file));
  }
  for (const std::string& name : names) {
    if (!bound.contains(name)) {
      throw InvalidArgument(
          fmt::format("the model's input '{}' has no --input (its inputs: {})", name, fmt::join(names, ", ")));
    }
  }
  return bound;
}

}  // namespace

std::vector<NamedOutput> run_onnx_model(const std::string& path, const std::vector<std::string>& inputs, int threads,
                                        const DecodeBudgets& budgets) {
  const std::vector<std::string> names = onnx_input_names(path);
  const std::map<std::string, Tensor> bound = read_onnx_inputs(inputs, names, onnx_default_input_names(path));
  for (const auto& [name, tensor] : bound) {
    if (tensor.dtype() == DType::F32) warn_if_non_finite_input("'" + name + "'", tensor.f32(), tensor.shape());
  }
  OnnxImportOptions options;
  options.budgets = budgets;
  // Inputs the model needs before it runs (weights, shapes given as graph inputs) are built into it.
  return OnnxSession::open(path, options, {.threads = threads}).run(bound);
}

}  // namespace cnnzoo::cli
