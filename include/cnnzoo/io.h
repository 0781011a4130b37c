// Tensor files: safetensors (torchvision state_dicts, checkpoints) and NumPy .npy (single arrays),
// and the check of a set of weights against a graph's parameters.
//
// Readers validate everything before they allocate: a truncated or malformed file is an Error whose
// message starts with the file's path and says what is wrong, never a crash or a huge allocation.
// Writers are atomic: they write a temporary file next to the target, fsync it and rename it over the
// target, so a failed write leaves the old file as it was.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

/// The contents of a safetensors file: named tensors and string metadata ("__metadata__").
struct TensorFile {
  /// In file order: the order of the tensors' data in the file (torch's state_dict order for files
  /// written by cnnzoo or by scripts/make_io_fixtures.py). Names are unique.
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::map<std::string, std::string> metadata;

  /// The tensor of that name, or nullptr.
  const Tensor* find(const std::string& name) const;
};

/// Reads a safetensors file holding F32 and I64 tensors. Throws Error naming the file (and the
/// tensor) for another dtype or any malformed header or data.
TensorFile read_safetensors(const std::string& path);

/// The "__metadata__" of a safetensors file, reading and checking only its header (as read_safetensors does).
std::map<std::string, std::string> read_safetensors_metadata(const std::string& path);

/// Writes `file` atomically: header keys in `tensors` order, tensors stored contiguously in that order,
/// header padded with spaces so the data starts 8-byte aligned; "__metadata__" only when non-empty.
/// Throws Error for duplicate or empty names, a tensor without storage, or an IO failure.
void write_safetensors(const std::string& path, const TensorFile& file);

/// Reads a NumPy .npy file (format 1.0, 2.0 or 3.0) holding a little-endian C-order array of float32, or of
/// float64, float16 or integers (8 to 64 bits) converted to float32: doubles rounded to nearest, integers only up to
/// 2^24 in magnitude (exact). Throws Error naming the file for another dtype, a number float32 cannot hold, Fortran
/// order, or a malformed or truncated file.
Tensor read_npy(const std::string& path);

/// Writes an F32 tensor as .npy format 1.0, atomically, with exactly the header numpy.save writes.
void write_npy(const std::string& path, const Tensor& tensor);

/// Makes `dir` a folder this process can write into, before any long work starts: creates it and its
/// parents when missing and writes (then removes) a probe file in it. Throws an OptionError about `option`,
/// "OPTION DIR: REASON; what to do", when it is a file, lies under a file, or cannot be created or written
/// (`option` names the option that gave the folder: "FitOptions::out_dir", or a front end's own name).
void prepare_output_folder(const std::string& dir, const std::string& option);

/// Checks that a file can be written at `path` before any long work starts: it is not a folder, and its
/// folder exists and can be written into (probed with a temporary file). Throws an OptionError naming `option`
/// and the path otherwise. The folder is not created: a mistyped folder is reported, not made.
void check_output_file(const std::string& path, const std::string& option);

/// Compares `file` with every ParamSpec of `graph` (F32 for parameters, I64 for num_batches_tracked).
WeightCheck check_weights(const Graph& graph, const TensorFile& file);

/// Reads a safetensors file (a state_dict, or a training checkpoint whose optimizer state is skipped) and
/// returns its tensors as the graph's parameters; throws Error naming the file and every missing,
/// unexpected or mis-shaped tensor when they do not fit the graph.
Parameters load_weights(const Graph& graph, const std::string& path);

}  // namespace cnnzoo
