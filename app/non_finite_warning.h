// The warning `run` and `eval` print when an output holds NaN or infinity: a number that is no number
// should not pass unnoticed into a .npy file or an accuracy figure.
#pragma once

#include <span>
#include <string>

#include "cnnzoo/tensor.h"

namespace cnnzoo::cli {

/// "SUBJECT holds N NaN and M Inf values (first at [i, j])", or empty when every value is finite.
std::string non_finite_message(const std::string& subject, std::span<const float> values, const Dims& shape);

/// Prints "cnnzoo: warning: the output of WHAT holds ..." on stderr, when the output is not finite.
void warn_if_non_finite(const std::string& what, const Tensor& output);

/// Prints "cnnzoo: warning: the input WHAT holds ...", and that its batch runs on the reference
/// interpreter (InferenceEngine::run sends it there so that NaN and Inf propagate as in PyTorch, where
/// oneDNN's ReLU and max pooling would turn NaN into numbers): slower, which the user should know.
void warn_if_non_finite_input(const std::string& what, std::span<const float> values, const Dims& shape);

}  // namespace cnnzoo::cli
