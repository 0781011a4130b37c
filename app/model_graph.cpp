// The graph a MODEL argument names (model_graph.h).
#include "model_graph.h"

#include <fmt/format.h>

#include <iostream>

#include "cnnzoo/error.h"
#include "cnnzoo/models.h"
#include "cnnzoo/onnx.h"
#include "option_flags.h"

namespace cnnzoo::cli {

OnnxModel imported_model(const std::string& file, const ModelFlags& flags, const BudgetFlags& budget_flags,
                         bool batch_given) {
  const ModelOptions options = flags.resolve();
  const std::string input = onnx_input_names(file).at(0);
  OnnxImportOptions import;
  import.budgets = budget_flags.resolve();
  import.symbolic_dim = options.batch;
  if (options.input) {
    Dims shape{options.batch};
    shape.insert(shape.end(), options.input->begin(), options.input->end());
    import.input_shapes[input] = shape;
  }
  OnnxModel model = import_onnx(file, import);
  Dims shape = model.graph.shape(model.graph.inputs().at(0));
  if (!batch_given || shape.empty() || shape[0] == options.batch) return model;
  const int64_t fixed = shape[0];
  shape[0] = options.batch;
  import.input_shapes[input] = shape;
  try {
    model = import_onnx(file, import);
  } catch (const Error& e) {
    throw Error(fmt::format("--batch {}: {} fixes input '{}' at batch {} and its graph takes no other: {}",
                            options.batch, file, input, fixed, cli_message(e)));
  }
  std::cerr << fmt::format("note: {} fixes input '{}' at batch {}; taken at --batch {}\n", file, input, fixed,
                           options.batch);
  return model;
}

Graph model_graph(const std::string& model, const ModelFlags& flags, const BudgetFlags& budget_flags,
                  bool batch_given) {
  return names_onnx_file(model) ? imported_model(model, flags, budget_flags, batch_given).graph
                                : build_model(model, flags.resolve());
}

}  // namespace cnnzoo::cli
