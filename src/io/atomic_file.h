// Atomic file replacement and checked reads, shared by the tensor file formats and checkpoints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace cnnzoo::io {

/// Calls `write` on a temporary file in the same folder as `path`, then flushes, fsyncs, renames it
/// over `path` and fsyncs the folder. If `write` throws or any step fails, the temporary file is
/// removed, `path` is left untouched and the error propagates (an Error naming `path` for IO failures).
void write_file_atomically(const std::string& path, const std::function<void(std::FILE*)>& write);

/// Removes the temporary files that write_file_atomically(path) leaves when its process is killed mid-write
/// (.NAME.tmp.XXXXXX next to `path`); the number removed. Only for a writer that owns the folder.
int remove_stale_temporaries(const std::string& path);

/// Writes `size` bytes or throws Error naming `path`.
void write_bytes(std::FILE* f, const void* data, std::size_t size, const std::string& path);

/// A file opened for reading, with its size; closes itself.
class InputFile {
 public:
  /// Throws Error naming `path` when it cannot be opened or is not a regular file.
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  /// Reads `size` bytes at `offset`; throws Error naming the file and `what` if they are not all there.
  void read_at(uint64_t offset, void* out, std::size_t size, const char* what);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace cnnzoo::io
