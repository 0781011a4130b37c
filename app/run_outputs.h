// Where `cnnzoo run` writes its outputs (--output, --output-dir), checked before any work is done.
#pragma once

#include <string>
#include <vector>

#include "cnnzoo/tensor.h"

namespace cnnzoo::cli {

struct NamedOutput {
  std::string name;  ///< the graph's name of the output
  Tensor tensor;
};

/// InvalidArgument, naming the flag, when both are given, when --output is a folder, is in a folder that
/// does not exist or is one of `inputs`, or when --output-dir is a file or cannot be created (it is
/// created here).
void check_output_locations(const std::string& output, const std::string& output_dir,
                            const std::vector<std::string>& inputs);

/// The first output to `output`, or every output to `output_dir`/NAME.npy (the name with awkward characters
/// as '_'); each .npy is written atomically, and none over one of `inputs`.
void write_outputs(const std::vector<NamedOutput>& outputs, const std::string& output, const std::string& output_dir,
                   const std::vector<std::string>& inputs);

}  // namespace cnnzoo::cli
