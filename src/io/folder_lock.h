// One writer per output folder: two `cnnzoo train --out D` at once would overwrite each other's checkpoints
// and interleave metrics.csv, each run believing its files are its own.
#pragma once

#include <string>

namespace cnnzoo::io {

/// An exclusive advisory lock (flock) on DIR/.cnnzoo.lock, held while the object lives. The kernel releases
/// it when the process ends in any way, SIGKILL included, so a killed run never leaves a stale lock.
class FolderLock {
 public:
  /// Throws InvalidArgument naming `flag` and the folder when another process holds the lock.
  FolderLock(const std::string& dir, const std::string& flag);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cnnzoo::io
