// Where `cnnzoo run` writes its outputs (--output, --output-dir), checked before any work is done.
#pragma once

#include <string>
#include <vector>

#include "cnnzoo/onnx_session.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo::cli {

/// An output by the graph's name for it.
using NamedOutput = NamedTensor;

/// InvalidArgument, naming the flag, when both are given, when --output is a folder, is in a folder that
/// does not exist or is one of `inputs`, or when --output-dir is a file or cannot be created (it is
/// created here).
void check_output_locations(const std::string& output, const std::string& output_dir,
                            const std::vector<std::string>& inputs);

/// The file name of each output in `names` (in order), unique and inside the folder: NAME.npy where NAME is a
/// file name as it is (letters, digits, '.', '-', '_', not starting with '.', at most 200 bytes); otherwise
/// those characters as '_'. Names that are file names as they are keep them; a name whose file is taken
/// gets "~2", "~3", ... before ".npy", in output order ('~' is never part of a name's own file name).
std::vector<std::string> output_file_names(const std::vector<std::string>& names);

/// The first output to `output`, or every output to `output_dir` under output_file_names (when one differs
/// from NAME.npy, a line per output on stderr says which file holds it); each .npy is written atomically,
/// and none over one of `inputs`.
void write_outputs(const std::vector<NamedOutput>& outputs, const std::string& output, const std::string& output_dir,
                   const std::vector<std::string>& inputs);

}  // namespace cnnzoo::cli
