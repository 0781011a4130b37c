// A small text file read whole (small_file.h).
#include "io/small_file.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "cnnzoo/error.h"

namespace cnnzoo::io {

std::string read_small_file(const std::string& path, std::uintmax_t max_bytes, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(fmt::format("{}: no such file", path));
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size > max_bytes) {
    throw Error(fmt::format("{}: {} bytes, larger than {} ({} MiB at most)", path, size, what, max_bytes >> 20));
  }
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(size))) throw Error(fmt::format("{}: cannot read it", path));
  return text;
}

}  // namespace cnnzoo::io
