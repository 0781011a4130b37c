#include "onnx/validate_graph.h"

#include <fmt/format.h>

#include <map>

#include "cnnzoo/error.h"

namespace cnnzoo::onnx_import {
namespace {

// As the importer names a node in its errors: its name, else its first output, else its op type.
std::string node_label(const onnx::NodeProto& n) {
  const std::string name = !n.name().empty() ? n.name() : (n.output_size() > 0 ? n.output(0) : n.op_type());
  return fmt::format("node '{}' ({})", name, n.op_type());
}

}  // namespace

void check_single_assignment(const onnx::GraphProto& graph, const std::string& source) {
  // Each defined value and what defines it, as the error message says it.
  std::map<std::string, std::string> defined_by;
  for (const onnx::TensorProto& t : graph.initializer()) defined_by.emplace(t.name(), "is an initializer");
  for (const onnx::ValueInfoProto& in : graph.input()) defined_by.emplace(in.name(), "is a graph input");
  for (const onnx::NodeProto& n : graph.node()) {
    const std::string label = node_label(n);
    for (const std::string& output : n.output()) {
      if (output.empty()) continue;  // an optional output left out
      const auto [it, fresh] = defined_by.emplace(output, fmt::format("{} writes too", label));
      if (!fresh) {
        throw Error(
            fmt::format("{}: {}: writes '{}', which {}; in ONNX every value has exactly one definition (rename one "
                        "of them)",
                        source, label, output, it->second));
      }
    }
  }
}

}  // namespace cnnzoo::onnx_import
