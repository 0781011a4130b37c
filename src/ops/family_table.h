// Per-op tables inside one op family: a backend's entry for each op of the family (an activation's
// formula, its oneDNN algorithm), checked at compile time like the rule table.
//
// `Entry<K>` has no primary definition in a backend that uses this: the table takes Entry<K>::value for
// every op K of family F, so an op added to the family in CNNZOO_OPS without its entry does not compile.
// Ops of other families get a value-initialised entry (a null function, say), never read.
#pragma once

#include <array>
#include <utility>

#include "cnnzoo/ops.h"

namespace cnnzoo::ops {

template <OpFamily F, template <OpKind> class Entry, typename Value, OpKind K>
constexpr Value entry_if_in_family() {
  if constexpr (op_family(K) == F) {
    return Entry<K>::value;
  } else {
    return Value{};
  }
}

/// Entry<K>::value for each op K of family F, indexed by OpKind.
template <OpFamily F, template <OpKind> class Entry, typename Value>
constexpr std::array<Value, kOpCount> family_table() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<Value, kOpCount>{entry_if_in_family<F, Entry, Value, static_cast<OpKind>(I)>()...};
  }
  (std::make_index_sequence<kOpCount>{});
}

/// How many ops family F has. Code that tells a family's ops apart by kind (pooling: max, average, adaptive,
/// global) asserts the count it handles, so an op added to the family stops the build there too.
constexpr std::size_t family_size(OpFamily f) {
  std::size_t count = 0;
  for (std::size_t k = 0; k < kOpCount; ++k) count += op_family(static_cast<OpKind>(k)) == f ? 1 : 0;
  return count;
}

}  // namespace cnnzoo::ops
