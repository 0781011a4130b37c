// What the model tests share: torchvision's reference figures and small graph look-ups.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cnnzoo/graph.h"

namespace cnnzoo::test {

/// The "models" object of tests/data/torchvision_reference.json (scripts/torchvision_reference.py).
inline const nlohmann::json& torchvision_models() {
  static const nlohmann::json models = [] {
    const std::string path = std::string(CNNZOO_TEST_DATA) + "/torchvision_reference.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in).at("models");
  }();
  return models;
}

inline const nlohmann::json& torchvision(const std::string& model) { return torchvision_models().at(model); }

using StateDict = std::vector<std::pair<std::string, Dims>>;

/// Every parameter and buffer of the graph in node order, as torchvision's state_dict() lists them.
inline StateDict state_dict(const Graph& g) {
  StateDict out;
  for (const Node& n : g.nodes()) {
    for (const ParamSpec& p : n.params) out.emplace_back(p.name, p.shape);
  }
  return out;
}

/// The reference's state_dict of a torchvision model.
inline StateDict torchvision_state_dict(const std::string& model) {
  StateDict out;
  for (const auto& entry : torchvision(model).at("state_dict")) {
    out.emplace_back(entry[0].get<std::string>(), entry[1].get<Dims>());
  }
  return out;
}

/// The output shape of the node of that name.
inline const Dims& output_of(const Graph& g, const std::string& node) {
  const auto id = g.find_node(node);
  if (!id) throw std::runtime_error(g.name() + " has no node " + node);
  return g.shape(g.node(*id).output);
}

}  // namespace cnnzoo::test
