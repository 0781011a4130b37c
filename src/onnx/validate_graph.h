// Graph validity checks that hold before any node is converted: what onnx.checker refuses and the
// importer would otherwise accept silently (the last writer of a value winning).
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

namespace cnnzoo::onnx_import {

/// Throws Error "SOURCE: node 'NAME' (OP): writes 'V', which ..." when a node writes a value that a graph
/// input, an initializer or an earlier node (or an earlier output of the same node) already defines: in
/// ONNX every value has exactly one definition.
void check_single_assignment(const onnx::GraphProto& graph, const std::string& source);

}  // namespace cnnzoo::onnx_import
