// Refusing work that cannot fit in memory before anything is allocated: a batch of 10^12 images or an
// input of 20000 x 20000 pixels is a clear error naming the options, not a std::bad_alloc (or a process the
// kernel kills) minutes later.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cnnzoo/models.h"

namespace cnnzoo {

/// The memory this process may use, in bytes: the machine's physical memory, or the limit of its cgroup
/// (a container's) or its address-space limit (`ulimit -v`) when that is lower.
int64_t usable_memory_bytes();

struct MemoryEstimate {
  double weight_bytes = 0;      ///< weights and buffers (and, training, the optimizer's momentum)
  double activation_bytes = 0;  ///< what grows with the batch: live activations, or those kept for backward
  double total() const { return weight_bytes + activation_bytes; }
};

/// A lower bound of the memory inference (or a training step, `training`) of a zoo model at options.batch
/// needs, from the analysis' peak live activations (training: what backward keeps). Computed from the
/// graphs at batch 1 and 2, in floating point, so no graph of the asked batch is built and a huge batch
/// cannot overflow.
MemoryEstimate estimate_memory(std::string_view model, const ModelOptions& options, bool training);

/// An option the user can change and its value, as the options at fault of a memory error:
/// {"ModelOptions::batch", "1000000000000"}.
struct OptionValue {
  std::string field;
  std::string value;
};

/// Throws an OptionError about the fields of `at_fault` when the estimate exceeds usable_memory_bytes():
/// "ModelOptions::batch 64: training resnet20 at batch 64 and input 3x20000x20000 needs at least 1.2 TiB of
/// memory (...), but this process may use 125.7 GiB ...; ...".
void require_memory(std::string_view model, const ModelOptions& options, bool training,
                    const std::vector<OptionValue>& at_fault);

/// Bytes as a person reads them, in binary units: "512 B", "3.2 MiB", "1.2 TiB".
std::string format_bytes(double bytes);

}  // namespace cnnzoo
