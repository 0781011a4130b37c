// Whole-file reads, gzip-aware (zlib) within a budget, and class-name lists.
#include <zlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "cnnzoo/error.h"
#include "data/data_sets.h"

namespace cnnzoo::data {
namespace {

void check_regular_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    const bool exists = std::filesystem::exists(path, ec);
    throw Error(fmt::format("{}: {}", path.string(),
                            exists ? "not a regular file (a folder, device or pipe)" : "no such file"));
  }
}

std::vector<uint8_t> read_plain(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open for reading", path.string()));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(fmt::format("{}: read error", path.string()));
  return bytes;
}

// Inflates the file chunk by chunk and stops as soon as the output would pass `max_bytes`: a gzip stream
// of zeros inflates about 1,000 times, so its compressed size says nothing of what it becomes. With
// `declared`, the header's own size bounds the output too (read_file says how).
std::vector<uint8_t> inflate_gzip(const std::filesystem::path& path, int64_t max_bytes, const DeclaredSize& declared) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw Error(fmt::format("{}: cannot open for reading", path.string()));
  const auto budget = static_cast<std::size_t>(max_bytes);
  const auto over_budget = [&](const std::string& what) {
    gzclose(file);
    return OptionErrorOf<Error>({"DecodeBudgets::gunzip_bytes"},
                                fmt::format("{}: the gzip stream {} the budget of {}; DecodeBudgets::gunzip_bytes "
                                            "raises it",
                                            path.string(), what, budget_text(max_bytes)));
  };
  std::optional<uint64_t> declared_size;
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    const int got = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (got < 0) break;
    const auto n = static_cast<std::size_t>(got);
    if (out.size() + n > budget) throw over_budget("inflates to more than");
    // Capacity grows by doubling, but never past the budget.
    if (out.size() + n > out.capacity()) out.reserve(std::min(budget, std::max(2 * out.capacity(), out.size() + n)));
    out.insert(out.end(), chunk.begin(), chunk.begin() + got);
    if (declared && !declared_size) {
      declared_size = declared(out);
      if (declared_size && *declared_size > budget) {
        throw over_budget(fmt::format("declares {} bytes in its header, more than", *declared_size));
      }
    }
    if (declared_size && out.size() > *declared_size) break;  // longer than declared: the caller says so
    if (n < chunk.size()) break;
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

std::vector<uint8_t> read_file(const std::filesystem::path& path, int64_t max_gunzip_bytes,
                               const DeclaredSize& declared) {
  check_regular_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open for reading", path.string()));
  uint8_t magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  if (in.gcount() == 2 && is_gzip(magic)) return inflate_gzip(path, max_gunzip_bytes, declared);
  return read_plain(path);
}

std::vector<uint8_t> read_file_as_is(const std::filesystem::path& path) {
  check_regular_file(path);
  return read_plain(path);
}

bool is_gzip(std::span<const uint8_t> bytes) { return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b; }

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
