// A small text file read whole (a run's records, an experiment's results), its size checked before anything
// is allocated: a file of this kind larger than its writer ever makes is refused, not read.
#pragma once

#include <cstdint>
#include <string>

namespace cnnzoo::io {

/// The bytes of `path`; Error naming it when it is not a regular file, cannot be read, or holds more than
/// `max_bytes` (`what` says whose files are that small: "a run writes").
std::string read_small_file(const std::string& path, std::uintmax_t max_bytes, const std::string& what);

}  // namespace cnnzoo::io
