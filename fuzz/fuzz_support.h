// What the fuzz targets share. The readers take paths, so an input is written to a scratch file first (the
// file reading is part of what is fuzzed). A reader may refuse an input only with a cnnzoo::Error: a target
// catches that and nothing else, so any other exception, a crash, a leak or undefined behaviour reaches
// libFuzzer as a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "cnnzoo/tensor.h"

namespace cnnzoo::fuzz {

using Bytes = std::span<const uint8_t>;

/// Writes `bytes` to the file `name` in this process's scratch folder (made under $TMPDIR or /tmp on the
/// first call, removed at exit) and returns its path.
std::string write_scratch(const std::string& name, Bytes bytes);

/// Removes the file `name` of the scratch folder, if there is one.
void remove_scratch(const std::string& name);

/// The scratch folder's path.
std::string scratch_folder();

/// An input that holds two files: the first two bytes (little-endian) give the first file's length (cut to
/// what is left), the first file follows, the second file is the rest.
struct TwoFiles {
  Bytes first, second;
};
TwoFiles split_two_files(Bytes input);

/// Points stdout and stderr at /dev/null where libFuzzer has closed them (-close_fd_mask=3, fuzz_run.sh), so
/// that code printing its messages (the CLI) writes them nowhere instead of failing to write; libFuzzer's
/// and the sanitizers' reports go to a copy of stderr it keeps. Does the work once.
void silence_closed_outputs();

/// Reads every element, so that ASan sees a buffer shorter than its shape promises.
template <typename T>
void touch_all(std::span<const T> values) {
  volatile T sink{};
  for (const T& v : values) sink = v;
  (void)sink;
}

/// Reads every element of a tensor through its typed view (numel() of them).
void touch_tensor(const Tensor& tensor);

}  // namespace cnnzoo::fuzz
