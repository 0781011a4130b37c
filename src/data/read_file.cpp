// Whole-file reads, gzip-aware (zlib), and class-name lists.
#include <zlib.h>

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "cnnzoo/error.h"
#include "data/data_sets.h"

namespace cnnzoo::data {
namespace {

std::vector<uint8_t> read_plain(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open for reading", path.string()));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(fmt::format("{}: read error", path.string()));
  return bytes;
}

std::vector<uint8_t> inflate_gzip(const std::filesystem::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw Error(fmt::format("{}: cannot open for reading", path.string()));
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    const int got = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (got < 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + got);
    if (got < static_cast<int>(chunk.size())) break;
  }
  int code = Z_OK;
  const char* message = gzerror(file, &code);
  const std::string what = message != nullptr ? message : "";
  gzclose(file);
  if (code != Z_OK && code != Z_STREAM_END) {
    throw Error(fmt::format("{}: corrupt or truncated gzip file ({})", path.string(),
                            what.empty() ? std::string("zlib error") : what));
  }
  return out;
}

}  // namespace

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    const bool exists = std::filesystem::exists(path, ec);
    throw Error(fmt::format("{}: {}", path.string(),
                            exists ? "not a regular file (a folder, device or pipe)" : "no such file"));
  }
  std::vector<uint8_t> head;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("{}: cannot open for reading", path.string()));
    char magic[2] = {0, 0};
    in.read(magic, 2);
    if (in.gcount() == 2 && static_cast<uint8_t>(magic[0]) == 0x1f && static_cast<uint8_t>(magic[1]) == 0x8b) {
      return inflate_gzip(path);
    }
  }
  return read_plain(path);
}

std::vector<std::string> read_class_names(const std::filesystem::path& path) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return names;
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("{}: cannot open for reading", path.string()));
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

}  // namespace cnnzoo::data
