// The inputs of `cnnzoo run` (and `predict`, its alias): .npy arrays and PNG/JPEG images given as
// arguments or --input, folders expanded to their images, and the report of inputs that cannot be used.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cnnzoo/tensor.h"

namespace cnnzoo::cli {

/// --input's two readings: a value that parses as CxHxW (3x224x224) is the model's input size, as for
/// summary, export and bench; any other value is an input file (write ./3x224x224 for a file of that name).
struct InputFlag {
  std::string size;  ///< "CxHxW" as typed, or empty
  std::vector<std::string> files;
};

/// Splits --input's values; InvalidArgument when two of them are sizes.
InputFlag split_input_flag(const std::vector<std::string>& values);

/// True for a path that names a NumPy array (".npy"); anything else is read as an image.
bool is_npy_path(const std::string& path);

/// One line on stderr per input that cannot be used; the others go on. Each message names its file.
class InputFailures {
 public:
  /// `inputs` in all: with more than one, each failure is printed as it comes (those so far at once);
  /// a lone input's failure is the command's error itself.
  void set_inputs(std::size_t inputs);
  void add(const std::string& message);
  std::size_t count() const { return messages_.size(); }
  /// When any input failed, throws: a lone input's own message, else one that counts them and says what
  /// was not written because of them (`unwritten`, may be empty).
  void finish(const std::string& unwritten) const;

 private:
  std::vector<std::string> messages_;
  std::size_t inputs_ = 0;
};

/// The paths with every folder replaced by its PNG and JPEG files (by extension, sorted by name, not
/// recursive). A folder without any is a failure.
std::vector<std::string> expand_folders(const std::vector<std::string>& paths, InputFailures& failures);

/// One sample of the model's input: a whole image, or one row of an N x C x H x W array.
struct Sample {
  std::string label;                    ///< the image file, or "FILE[i]" for row i of an array
  std::string image;                    ///< an image file, decoded when its batch is filled
  std::shared_ptr<const Tensor> array;  ///< or an array and its row
  int64_t row = 0;
};

}  // namespace cnnzoo::cli
