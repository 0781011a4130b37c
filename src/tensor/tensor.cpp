#include "cnnzoo/tensor.h"

#include <fmt/format.h>

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "cnnzoo/checked.h"
#include "cnnzoo/error.h"
#include "tensor/aligned_storage.h"

namespace cnnzoo {
namespace {

constexpr std::size_t kAlignment = 64;  // a cache line, and what AVX-512 loads like
// Tensors from this size on are mapped from the kernel and unmapped when freed. From the heap, freed
// weights stay resident between live blocks (glibc cannot give the middle of its heap back), which made
// a model's plain and reordered weights add up in peak memory.
constexpr std::size_t kMapFrom = std::size_t{256} << 10;

}  // namespace

detail::AlignedStorage detail::allocate_aligned(std::size_t bytes) {
  const auto rounded = std::max((bytes + kAlignment - 1) / kAlignment * kAlignment, kAlignment);
  if (rounded >= kMapFrom) {
    void* p = ::mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return AlignedStorage(static_cast<std::byte*>(p), TensorFree{rounded});  // zero-filled by the kernel
  }
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  return AlignedStorage(static_cast<std::byte*>(p), TensorFree{0});
}

Tensor::Storage Tensor::allocate(int64_t bytes) { return detail::allocate_aligned(static_cast<std::size_t>(bytes)); }

void detail::TensorFree::operator()(std::byte* p) const {
  if (mapped > 0) {
    ::munmap(p, mapped);
  } else {
    std::free(p);
  }
}

Tensor::Tensor(Dims shape, DType dtype) : shape_(std::move(shape)), dtype_(dtype) {
  for (int64_t d : shape_) {
    if (d < 0) throw ShapeError(fmt::format("tensor: negative dimension in shape {}", to_string(shape_)));
  }
  storage_ = allocate(nbytes());
}

Tensor::Tensor(Dims shape, std::span<const float> values) : Tensor(std::move(shape), DType::F32) {
  if (static_cast<int64_t>(values.size()) != numel()) {
    throw ShapeError(
        fmt::format("tensor: {} values given for shape {} ({} elements)", values.size(), to_string(shape_), numel()));
  }
  std::memcpy(storage_.get(), values.data(), values.size_bytes());
}

Tensor::Tensor(const Tensor& other) : shape_(other.shape_), dtype_(other.dtype_) {
  if (other.storage_) {
    storage_ = allocate(nbytes());
    std::memcpy(storage_.get(), other.storage_.get(), static_cast<std::size_t>(nbytes()));
  }
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) *this = Tensor(other);
  return *this;
}

std::span<float> Tensor::f32() {
  if (dtype_ != DType::F32) throw Error(fmt::format("tensor: expected float32, holds {}", dtype_name(dtype_)));
  return {reinterpret_cast<float*>(storage_.get()), static_cast<std::size_t>(numel())};
}
std::span<const float> Tensor::f32() const { return const_cast<Tensor*>(this)->f32(); }

std::span<int64_t> Tensor::i64() {
  if (dtype_ != DType::I64) throw Error(fmt::format("tensor: expected int64, holds {}", dtype_name(dtype_)));
  return {reinterpret_cast<int64_t*>(storage_.get()), static_cast<std::size_t>(numel())};
}
std::span<const int64_t> Tensor::i64() const { return const_cast<Tensor*>(this)->i64(); }

Tensor Tensor::reshaped(Dims shape) const {
  if (cnnzoo::numel(shape) != numel()) {
    throw ShapeError(fmt::format("tensor: cannot reshape {} to {}", to_string(shape_), to_string(shape)));
  }
  Tensor t(*this);
  t.shape_ = std::move(shape);
  return t;
}

int64_t Tensor::nbytes() const { return checked_mul(numel(), dtype_bytes(dtype_), "a tensor's bytes"); }

const char* dtype_name(DType dtype) { return dtype == DType::I64 ? "int64" : "float32"; }

}  // namespace cnnzoo
