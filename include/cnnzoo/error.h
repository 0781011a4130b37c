// The exceptions cnnzoo throws. Every message names the thing at fault (a node, a file, a flag)
// and what was expected and found; the CLI prints it as one line and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace cnnzoo {

/// Base of every error cnnzoo reports to a user.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A node's inputs do not fit its op ("features.3: conv expects 64 input channels, got 3").
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// The graph is malformed (unknown value, duplicate name, cycle, missing output).
class GraphError : public Error {
 public:
  using Error::Error;
};

/// A name that is not known (model, op, node); the message lists the known names.
class UnknownNameError : public Error {
 public:
  using Error::Error;
};

/// A value given by a user is malformed (a flag, an option).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

}  // namespace cnnzoo
