// One writer per output folder: two `cnnzoo train --out D` at once would overwrite each other's checkpoints
// and interleave metrics.csv, each run believing its files are its own.
#pragma once

#include <string>

namespace cnnzoo::io {

/// An exclusive advisory lock (flock) on DIR/.cnnzoo.lock, held while the object lives. The kernel releases
/// it when the process ends in any way, SIGKILL included, so a killed run never leaves a stale lock.
class FolderLock {
 public:
  /// Throws an OptionError about `option` (the option that names the folder, "FitOptions::out_dir") when
  /// another process holds the lock, and Error about it when the lock cannot be taken.
  FolderLock(const std::string& dir, const std::string& option);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cnnzoo::io
