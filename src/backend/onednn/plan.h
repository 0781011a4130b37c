// A compiled plan: a flat list of steps (a primitive with its arguments, or a small custom kernel) over
// buffers. Activation buffers share one arena laid out by lifetime; weights own their memory.
#pragma once

#include <dnnl.hpp>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "cnnzoo/engine.h"
#include "tensor/aligned_storage.h"

namespace cnnzoo::onednn {

using dnnl::memory;
using BufferId = int;

/// Bytes the plan owns (reordered weights, the arena), of a size fixed when made: 64-byte aligned and
/// zero-filled, allocated as tensors are (large ones mapped from the kernel and given back when freed).
class OwnedBytes {
 public:
  OwnedBytes() = default;
  explicit OwnedBytes(std::size_t size) : storage_(detail::allocate_aligned(size)), size_(size) {}

  std::byte* data() { return storage_.get(); }
  const std::byte* data() const { return storage_.get(); }
  std::size_t size() const { return size_; }

 private:
  detail::AlignedStorage storage_;
  std::size_t size_ = 0;
};

/// oneDNN takes every memory's handle as `void*`, a primitive's source too. Memory that no step writes (the
/// plain weights a reorder reads, the caller's input) is handed over through this, the one place the
/// backend casts const away.
inline void* read_only_handle(const std::byte* data) { return const_cast<std::byte*>(data); }

/// What a buffer's bytes are. An activation: a place in the arena, laid out by finalize() among buffers of
/// other lifetimes.
struct Arena {
  std::size_t offset = 0;
};
/// The same bytes as another buffer (never itself an alias), seen through another descriptor (a reshape).
struct Alias {
  BufferId of = -1;
};
/// Weights the plan reordered and keeps, outside the arena.
struct Owned {
  OwnedBytes bytes;
};
/// Memory the caller owns and keeps alive (a parameter tensor, an input); may be null until rebind().
struct External {
  void* data = nullptr;
};

struct Buffer {
  memory::desc md;
  std::string label;  ///< the value or purpose, for messages
  std::variant<Arena, Alias, Owned, External> storage{};
  int first_use = -1;  ///< step index (of the buffer's own bytes: an alias's uses count for what it aliases)
  int last_use = -1;
  memory mem{};  ///< made by finalize()
};

struct Step {
  std::string label;  ///< the node it belongs to
  std::optional<dnnl::primitive> primitive{};
  std::unordered_map<int, BufferId> args{};  ///< DNNL_ARG_* -> buffer
  /// A custom kernel instead of a primitive; it reads and writes buffers through the plan.
  std::function<void()> custom{};
  bool is_reorder = false;
  std::unordered_map<int, memory> bound{};  ///< args resolved to memories by finalize()
};

class Plan {
 public:
  explicit Plan(dnnl::engine engine) : engine_(std::move(engine)) {}

  const dnnl::engine& engine() const { return engine_; }

  /// A new arena buffer for `md`.
  BufferId add_buffer(const memory::desc& md, std::string label);
  /// The same bytes as `of`, seen as `md` (a reshape); lifetimes are merged.
  BufferId add_alias(BufferId of, const memory::desc& md, std::string label);
  /// A weight buffer holding `bytes`, already in `md`'s layout (not part of the arena); at least `md`'s size.
  BufferId add_owned(const memory::desc& md, OwnedBytes bytes, std::string label);
  /// A buffer over memory the caller owns and keeps alive (a parameter tensor), seen as `md`.
  BufferId add_external(const memory::desc& md, void* data, std::string label);

  /// Appends a step; records that it uses its argument buffers now.
  void add_step(Step step);
  /// Marks `buffer` as used by the step about to be added (for custom steps' inputs and outputs).
  void touch(BufferId buffer);
  /// Keeps `buffer` alive to the end of the run (graph outputs).
  void keep_to_end(BufferId buffer);

  Buffer& buffer(BufferId id) { return buffers_.at(static_cast<std::size_t>(id)); }
  const Buffer& buffer(BufferId id) const { return buffers_.at(static_cast<std::size_t>(id)); }
  /// Pointer to a buffer's bytes; valid after finalize().
  void* data(BufferId id);
  /// The bytes of an owned buffer (or of an alias of one), known as soon as it is added: a constant's value, which a
  /// later step may specialize on. Null for every other buffer.
  const std::byte* owned_data(BufferId id) const;
  /// Points an external buffer (and every alias of it) at other memory, after finalize(): an input
  /// read where the caller keeps it instead of copied in.
  void rebind(BufferId id, void* data);

  /// Lays out the arena (buffers whose lifetimes do not overlap share bytes), allocates and touches
  /// it once, and binds every step's arguments.
  void finalize();

  /// Runs every step in order and waits for the stream.
  void execute(dnnl::stream& stream);

  const std::vector<Step>& steps() const { return steps_; }
  std::size_t arena_bytes() const { return arena_bytes_; }
  std::size_t unplanned_bytes() const;
  std::size_t owned_bytes() const;

 private:
  BufferId root(BufferId id) const;
  void execute_profiled(dnnl::stream& stream);
  dnnl::engine engine_;
  std::vector<Buffer> buffers_;
  std::vector<Step> steps_;
  std::vector<BufferId> pending_touches_;
  OwnedBytes arena_;
  std::size_t arena_bytes_ = 0;
};

/// The figures of a finalized plan that do not depend on how it was compiled: steps, reorders, memory.
PlanStats plan_stats(const Plan& plan);

/// The implementation oneDNN chose for a primitive step ("brgconv:avx512_core_amx_bf16", "ref:any"), or
/// "custom" for a custom step.
std::string implementation(const Step& step);
/// The convolutions and linear layers of `plan` that oneDNN runs with its reference code (the data type has
/// no kernel on this CPU): "label [implementation]" each.
std::vector<std::string> reference_layers(const Plan& plan);

}  // namespace cnnzoo::onednn
