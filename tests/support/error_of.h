// The message of the cnnzoo::Error a call throws, for tests that compare it whole.
#pragma once

#include <functional>
#include <string>

#include "cnnzoo/error.h"

namespace cnnzoo::test {

/// What `f` threw as a cnnzoo::Error, or "(no error)" when it returned.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace cnnzoo::test
