// The exceptions cnnzoo throws. Every message names the thing at fault (a node, a file, an option)
// and what was expected and found; the CLI prints it as one line and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

/// The options an error is about, spelled as the library's option structs name them ("FitOptions::epochs",
/// "ModelOptions::depth"); the message spells each one the same way. The library does not know how a front
/// end names its options: the CLI rewrites each field in the message as the flag that sets it
/// (app/option_flags.h), so that `cnnzoo train --epochs 0` says "--epochs: must be at least 1, got 0".
class OptionFields {
 public:
  explicit OptionFields(std::vector<std::string> fields) : fields_(std::move(fields)) {}
  virtual ~OptionFields() = default;
  OptionFields(const OptionFields&) = default;
  OptionFields& operator=(const OptionFields&) = default;

  const std::vector<std::string>& fields() const noexcept { return fields_; }

 private:
  std::vector<std::string> fields_;
};

/// An error of the kind `Kind` (InvalidArgument, UnknownNameError, Error) about the options `fields`.
template <class Kind>
class OptionErrorOf : public Kind, public OptionFields {
 public:
  OptionErrorOf(std::vector<std::string> fields, const std::string& message)
      : Kind(message), OptionFields(std::move(fields)) {}
};

/// An option's value is malformed: "FitOptions::epochs: must be at least 1, got 0".
using OptionError = OptionErrorOf<InvalidArgument>;

}  // namespace cnnzoo
