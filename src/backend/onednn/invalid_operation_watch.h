// Whether oneDNN's kernels met a NaN inside a run: the one case that scanning the inputs and outputs cannot
// see. A finite input can overflow to infinity inside the network, become NaN there (inf - inf, 0 * inf),
// and be dropped before any output by a oneDNN ReLU or max pooling, which compute max(x, 0) and so return
// 0 for NaN, where PyTorch carries the NaN on to the outputs. Every such path passes an IEEE "invalid
// operation": making a NaN from numbers, or comparing one (max, min and the ordered compares raise it for a
// quiet NaN too). The processor records it in a sticky status flag (x86 MXCSR.IE; FE_INVALID in <cfenv>),
// one per thread, which costs nothing while the kernels run. The watch clears the flag on every thread of
// the engine's OpenMP team before a run and reads it on all of them after.
#pragma once

namespace cnnzoo::onednn {

class InvalidOperationWatch {
 public:
  /// Clears the flag on the calling thread and on the `threads` threads of an OpenMP team (libgomp reuses
  /// the same threads for every team up to that size, which is the team oneDNN runs its kernels on).
  explicit InvalidOperationWatch(int threads);
  /// Whether an invalid operation happened on any of those threads since the watch began.
  [[nodiscard]] bool happened() const;

 private:
  int threads_;
};

}  // namespace cnnzoo::onednn
