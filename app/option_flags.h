// The library names a wrong option by its field ("FitOptions::epochs", include/cnnzoo/error.h's
// OptionFields); the CLI says it as the flag that sets it ("--epochs").
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace cnnzoo::cli {

/// The flag that sets a library option field ("FitOptions::batch_size" -> "--batch"), or the field itself
/// when no flag sets it (a front end's own name, such as "--out", stays as it is).
std::string_view flag_for(std::string_view field);

/// An error's message as the CLI says it: each option field an OptionFields error names, as its flag
/// ("FitOptions::epochs: must be at least 1, got 0" -> "--epochs: must be at least 1, got 0"); other
/// errors' messages as they are.
std::string cli_message(const std::exception& error);

}  // namespace cnnzoo::cli
