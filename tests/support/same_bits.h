// Bit-for-bit comparison of two parameter sets: a resumed or interrupted run must end exactly where an
// uninterrupted one does, not merely close to it.
#pragma once

#include <gtest/gtest.h>

#include <cstring>

#include "cnnzoo/parameters.h"

namespace cnnzoo::test {

inline void expect_same_tensors(const Parameters& a, const Parameters& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(b.contains(name)) << name;
    ASSERT_EQ(t.nbytes(), b.at(name).nbytes()) << name;
    EXPECT_EQ(std::memcmp(t.bytes(), b.at(name).bytes(), static_cast<std::size_t>(t.nbytes())), 0) << name;
  }
}

}  // namespace cnnzoo::test
