// The warning `run` and `eval` print when an output holds NaN or infinity: a number that is no number
// should not pass unnoticed into a .npy file or an accuracy figure.
#pragma once

#include <string>

#include "cnnzoo/tensor.h"

namespace cnnzoo::cli {

/// "the output of WHAT holds N NaN and M Inf values (first at [i, j])", or empty when every value is finite.
std::string non_finite_message(const std::string& what, const Tensor& output);

/// Prints "cnnzoo: warning: " and non_finite_message() on stderr, when there is one.
void warn_if_non_finite(const std::string& what, const Tensor& output);

}  // namespace cnnzoo::cli
