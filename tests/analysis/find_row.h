// Looks up a row of an analysis by name, for the analysis tests.
#pragma once

#include <stdexcept>
#include <string>

#include "cnnzoo/analysis.h"

namespace cnnzoo::test {

inline const LayerRow& row(const Analysis& a, const std::string& name) {
  for (const LayerRow& r : a.layers) {
    if (r.name == name) return r;
  }
  throw std::runtime_error("no row " + name + " in " + a.model);
}

}  // namespace cnnzoo::test
