// A compiled plan: a flat list of steps (a primitive with its arguments, or a small custom kernel) over
// buffers. Activation buffers share one arena laid out by lifetime; weights own their memory.
#pragma once

#include <dnnl.hpp>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cnnzoo/engine.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo::onednn {

using dnnl::memory;
using BufferId = int;

struct Buffer {
  memory::desc md;
  std::string label;   ///< the value or purpose, for messages
  int first_use = -1;  ///< step index
  int last_use = -1;
  BufferId alias_of = -1;     ///< same bytes as another buffer, seen through another descriptor
  bool persistent = false;    ///< weights: owned, outside the arena
  Tensor owned{};             ///< storage of a persistent buffer
  void* external = nullptr;   ///< a persistent buffer's storage when the caller owns it
  bool caller_owned = false;  ///< made by add_external (external may be null until rebind())
  std::size_t offset = 0;     ///< in the arena
  memory mem{};               ///< made by finalize()
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
  /// A weight buffer holding `data`, already in `md`'s layout (not part of the arena).
  BufferId add_persistent(const memory::desc& md, Tensor data, std::string label);
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
  std::size_t persistent_bytes() const;

 private:
  BufferId root(BufferId id) const;
  void execute_profiled(dnnl::stream& stream);
  dnnl::engine engine_;
  std::vector<Buffer> buffers_;
  std::vector<Step> steps_;
  std::vector<BufferId> pending_touches_;
  Tensor arena_;
  std::size_t arena_bytes_ = 0;
};

/// The figures of a finalized plan that do not depend on how it was compiled: steps, reorders, memory.
PlanStats plan_stats(const Plan& plan);

}  // namespace cnnzoo::onednn
