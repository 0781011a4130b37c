// The one allocator of large numeric buffers: a tensor's storage, and the bytes an engine's plan owns
// (reordered weights, its activation arena).
#pragma once

#include <cstddef>
#include <memory>

#include "cnnzoo/tensor.h"

namespace cnnzoo::detail {

using AlignedStorage = std::unique_ptr<std::byte[], TensorFree>;

/// `bytes` (at least one cache line), zero-filled, 64-byte aligned; from 256 KiB on mapped from the kernel
/// and unmapped when freed, so that freed weights give their memory back.
AlignedStorage allocate_aligned(std::size_t bytes);

}  // namespace cnnzoo::detail
