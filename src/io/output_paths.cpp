// Output locations checked before the work that fills them: a run that cannot write its results should
// fail in its first second, not after an epoch, and with the option and the reason instead of a filesystem
// exception.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "cnnzoo/error.h"
#include "cnnzoo/io.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;

// The nearest ancestor of `path` that exists (".." steps included), or "" when none does.
fs::path existing_ancestor(const fs::path& path) {
  std::error_code ec;
  for (fs::path p = path; !p.empty(); p = p.parent_path()) {
    if (fs::exists(p, ec)) return p;
    if (p == p.parent_path()) break;
  }
  return {};
}

// Writes and removes a temporary file in `dir`; the OS's reason when that fails, else "". Permission bits
// are not enough: root ignores them, and /proc or a read-only mount refuse files whatever they say.
std::string probe_write(const fs::path& dir) {
  std::string name = (dir / ".cnnzoo-write-probe.XXXXXX").string();
  std::vector<char> tmpl(name.begin(), name.end());
  tmpl.push_back('\0');
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(tmpl.data());
  return {};
}

[[noreturn]] void refuse(const std::string& option, const std::string& path, const std::string& reason) {
  throw OptionError({option}, fmt::format("{} {}: {}", option, path, reason));
}

}  // namespace

void prepare_output_folder(const std::string& dir, const std::string& option) {
  if (dir.empty()) throw OptionError({option}, fmt::format("{}: give a folder", option));
  const fs::path path(dir);
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    refuse(option, dir, "is a file, not a folder; give a folder (it is created when missing)");
  }
  if (!fs::exists(path, ec)) {
    const fs::path ancestor = existing_ancestor(path);
    if (!ancestor.empty() && !fs::is_directory(ancestor, ec)) {
      refuse(option, dir, fmt::format("cannot create the folder: {} is a file", ancestor.string()));
    }
    fs::create_directories(path, ec);
    if (ec) refuse(option, dir, fmt::format("cannot create the folder: {}; choose another", ec.message()));
  }
  if (const std::string why = probe_write(path); !why.empty()) {
    refuse(option, dir, fmt::format("cannot write into the folder: {}; choose another", why));
  }
}

void check_output_file(const std::string& path, const std::string& option) {
  if (path.empty()) throw OptionError({option}, fmt::format("{}: give a file name", option));
  const fs::path file(path);
  std::error_code ec;
  if (fs::is_directory(file, ec)) refuse(option, path, "is a folder; give a file name");
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  if (!fs::exists(dir, ec)) {
    refuse(option, path, fmt::format("the folder {} does not exist; create it first", dir.string()));
  }
  if (!fs::is_directory(dir, ec)) refuse(option, path, fmt::format("{} is a file, not a folder", dir.string()));
  if (const std::string why = probe_write(dir); !why.empty()) {
    refuse(option, path, fmt::format("cannot write into {}: {}; choose another place", dir.string(), why));
  }
}

}  // namespace cnnzoo
