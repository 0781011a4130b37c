#include "io/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "cnnzoo/error.h"

namespace cnnzoo::io {
namespace {

std::string os_error() { return std::strerror(errno); }

// What a failed write of `path` says: the step, the OS's reason, and for a full disk what to do. The
// target is never touched by a failed write, which the message says too.
Error write_error(const std::string& path, const char* step) {
  const int code = errno;
  const std::string advice = code == ENOSPC || code == EDQUOT ? "; free some space or write elsewhere" : "";
  return Error(
      fmt::format("{}: {} failed: {}{} (the file is left as it was)", path, step, std::strerror(code), advice));
}

// The temporary file name write_file_atomically uses for `target`: ".NAME.tmp." then mkstemp's six characters.
std::string temporary_prefix(const std::filesystem::path& target) {
  return fmt::format(".{}.tmp.", target.filename().string());
}

// Makes a directory entry durable; not every file system allows fsync on a folder, so failures to
// open it are ignored (the data itself is already synced).
void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::FILE*)>& write) {
  const std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : std::string(".");
  // Hidden, next to the target, so the rename stays within one file system.
  const std::string base = temporary_prefix(target) + "XXXXXX";
  const std::string name = (std::filesystem::path(dir) / base).string();
  std::vector<char> tmpl(name.begin(), name.end());
  tmpl.push_back('\0');
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw Error(fmt::format("{}: cannot create a temporary file in '{}': {}", path, dir, os_error()));
  const std::string tmp(tmpl.data());
  std::FILE* f = ::fdopen(fd, "wb");
  if (f == nullptr) {
    const std::string why = os_error();
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(fmt::format("{}: cannot open temporary file '{}': {}", path, tmp, why));
  }
  try {
    write(f);
    if (std::fflush(f) != 0 || std::ferror(f) != 0) throw write_error(path, "write");
    if (::fsync(::fileno(f)) != 0) throw write_error(path, "fsync");
    // mkstemp creates the file 0600; give it the permissions an ordinary new file gets.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(::fileno(f), 0666 & ~mask);
    const int closed = std::fclose(f);
    f = nullptr;
    if (closed != 0) throw write_error(path, "close");
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw Error(fmt::format("{}: cannot rename '{}' over it: {}", path, tmp, os_error()));
    }
  } catch (...) {
    if (f != nullptr) std::fclose(f);
    ::unlink(tmp.c_str());
    throw;
  }
  sync_directory(dir);
}

void write_bytes(std::FILE* f, const void* data, std::size_t size, const std::string& path) {
  if (size == 0) return;
  if (std::fwrite(data, 1, size, f) != size) throw write_error(path, "write");
}

int remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = temporary_prefix(target);
  std::error_code ec;
  int removed = 0;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(target.has_parent_path() ? target.parent_path() : fs::path("."), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == prefix.size() + 6 && name.starts_with(prefix) && entry.is_regular_file(ec)) {
      removed += fs::remove(entry.path(), ec) ? 1 : 0;
    }
  }
  return removed;
}

InputFile::InputFile(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) throw Error(fmt::format("{}: cannot open: {}", path, os_error()));
  struct stat st {};
  if (::fstat(::fileno(file_), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::fclose(file_);
    file_ = nullptr;
    throw Error(fmt::format("{}: not a regular file", path));
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

InputFile::~InputFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void InputFile::read_at(uint64_t offset, void* out, std::size_t size, const char* what) {
  if (offset > size_ || size > size_ - offset) {
    throw Error(fmt::format("{}: truncated: {} needs bytes {}..{} but the file has {} bytes", path_, what, offset,
                            offset + size, size_));
  }
  if (size == 0) return;
  if (::fseeko(file_, static_cast<off_t>(offset), SEEK_SET) != 0 || std::fread(out, 1, size, file_) != size) {
    throw Error(fmt::format("{}: cannot read {}: {}", path_, what, os_error()));
  }
}

}  // namespace cnnzoo::io
