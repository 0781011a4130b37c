// A dense tensor that owns its memory: shape, dtype and 64-byte aligned storage, row-major (C order).
// Copies are deep; moves are cheap. Used by IO (safetensors, npy), the reference kernels and the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cnnzoo/graph.h"
#include "cnnzoo/shape.h"

namespace cnnzoo {

namespace detail {
/// Releases a tensor's storage: unmapped when it was mapped (large tensors), freed from the heap otherwise.
struct TensorFree {
  std::size_t mapped = 0;  ///< bytes mapped with mmap; 0: from the heap
  void operator()(std::byte* p) const;
};
}  // namespace detail

class Tensor {
 public:
  Tensor() = default;
  /// A zero-filled tensor.
  explicit Tensor(Dims shape, DType dtype = DType::F32);
  /// An F32 tensor holding `values` (their count must equal the shape's).
  Tensor(Dims shape, std::span<const float> values);

  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  const Dims& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  int64_t numel() const { return cnnzoo::numel(shape_); }
  int64_t nbytes() const;
  bool empty() const { return storage_ == nullptr; }

  std::byte* bytes() { return storage_.get(); }
  const std::byte* bytes() const { return storage_.get(); }

  /// Typed views; throw Error when T does not match the dtype.
  std::span<float> f32();
  std::span<const float> f32() const;
  std::span<int64_t> i64();
  std::span<const int64_t> i64() const;

  /// Same data, another shape with the same element count; throws ShapeError otherwise.
  Tensor reshaped(Dims shape) const;

 private:
  using Free = detail::TensorFree;
  using Storage = std::unique_ptr<std::byte[], Free>;
  static Storage allocate(int64_t bytes);
  Dims shape_;
  DType dtype_ = DType::F32;
  Storage storage_;
};

/// "float32" or "int64".
const char* dtype_name(DType dtype);

}  // namespace cnnzoo
