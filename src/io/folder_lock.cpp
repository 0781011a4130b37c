#include "io/folder_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cnnzoo/error.h"

namespace cnnzoo::io {

FolderLock::FolderLock(const std::string& dir, const std::string& option) {
  const std::string path = (std::filesystem::path(dir) / ".cnnzoo.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw OptionErrorOf<Error>(
        {option}, fmt::format("{} {}: cannot create its lock file {}: {}", option, dir, path, std::strerror(errno)));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK) {
      throw OptionError(
          {option},
          fmt::format("{} {}: another cnnzoo run is writing into this folder; wait for it to end or choose another {}",
                      option, dir, option));
    }
    throw OptionErrorOf<Error>({option},
                               fmt::format("{} {}: cannot lock {}: {}", option, dir, path, std::strerror(error)));
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
}

}  // namespace cnnzoo::io
