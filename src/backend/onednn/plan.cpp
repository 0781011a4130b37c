#include "backend/onednn/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "cnnzoo/error.h"

namespace cnnzoo::onednn {
namespace {

constexpr std::size_t kAlign = 64;

std::size_t aligned(std::size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// The lambdas of a std::visit, one per kind.
template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
// clang 14 does not deduce an aggregate's template arguments from its initializers (C++20's P1816) by itself.
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

BufferId Plan::add_buffer(const memory::desc& md, std::string label) {
  buffers_.push_back(Buffer{.md = md, .label = std::move(label)});
  return static_cast<BufferId>(buffers_.size()) - 1;
}

BufferId Plan::add_alias(BufferId of, const memory::desc& md, std::string label) {
  if (md.get_size() > buffer(of).md.get_size()) {
    throw Error(fmt::format("plan: alias '{}' is larger than '{}'", label, buffer(of).label));
  }
  buffers_.push_back(Buffer{.md = md, .label = std::move(label), .storage = Alias{root(of)}});
  return static_cast<BufferId>(buffers_.size()) - 1;
}

BufferId Plan::add_owned(const memory::desc& md, OwnedBytes bytes, std::string label) {
  if (bytes.size() < md.get_size()) {
    throw Error(fmt::format("plan: {} bytes for '{}', which takes {}", bytes.size(), label, md.get_size()));
  }
  buffers_.push_back(Buffer{.md = md, .label = std::move(label), .storage = Owned{std::move(bytes)}});
  return static_cast<BufferId>(buffers_.size()) - 1;
}

BufferId Plan::add_external(const memory::desc& md, void* data, std::string label) {
  buffers_.push_back(Buffer{.md = md, .label = std::move(label), .storage = External{data}});
  return static_cast<BufferId>(buffers_.size()) - 1;
}

BufferId Plan::root(BufferId id) const {
  const auto* alias = std::get_if<Alias>(&buffer(id).storage);
  return alias != nullptr ? alias->of : id;  // add_alias() points every alias at a root
}

const std::byte* Plan::owned_data(BufferId id) const {
  const auto* owned = std::get_if<Owned>(&buffer(root(id)).storage);
  return owned != nullptr ? owned->bytes.data() : nullptr;
}

void Plan::touch(BufferId id) { pending_touches_.push_back(id); }

void Plan::add_step(Step step) {
  const int index = static_cast<int>(steps_.size());
  auto use = [&](BufferId id) {
    Buffer& b = buffer(root(id));
    if (b.first_use < 0) b.first_use = index;
    b.last_use = std::max(b.last_use, index);
  };
  for (const auto& [arg, id] : step.args) use(id);
  for (BufferId id : pending_touches_) use(id);
  pending_touches_.clear();
  steps_.push_back(std::move(step));
}

void Plan::keep_to_end(BufferId id) { buffer(root(id)).last_use = std::numeric_limits<int>::max(); }

void* Plan::data(BufferId id) { return buffer(id).mem.get_data_handle(); }

void Plan::rebind(BufferId id, void* data) {
  auto* external = std::get_if<External>(&buffer(id).storage);
  if (external == nullptr) throw Error(fmt::format("plan: '{}' is not an external buffer", buffer(id).label));
  if (external->data == data) return;  // the same input as the last run
  external->data = data;
  for (BufferId b = 0; b < static_cast<BufferId>(buffers_.size()); ++b) {
    if (root(b) == id) buffer(b).mem.set_data_handle(data);  // the steps hold handles to these memories
  }
}

std::size_t Plan::unplanned_bytes() const {
  std::size_t total = 0;
  for (const Buffer& b : buffers_) total += std::holds_alternative<Arena>(b.storage) ? aligned(b.md.get_size()) : 0;
  return total;
}

std::size_t Plan::owned_bytes() const {
  std::size_t total = 0;
  for (const Buffer& b : buffers_) total += std::holds_alternative<Owned>(b.storage) ? b.md.get_size() : 0;
  return total;
}

void Plan::finalize() {
  // Touches after the last step (a graph that only aliases its input) count as a use at its end.
  for (BufferId id : pending_touches_) {
    Buffer& b = buffer(root(id));
    const int end = static_cast<int>(steps_.size());
    if (b.first_use < 0) b.first_use = end;
    b.last_use = std::max(b.last_use, end);
  }
  pending_touches_.clear();
  // Greedy by size: each buffer takes the lowest offset free over its whole lifetime.
  std::vector<BufferId> order;
  for (BufferId id = 0; id < static_cast<BufferId>(buffers_.size()); ++id) {
    const Buffer& b = buffer(id);
    if (std::holds_alternative<Arena>(b.storage) && b.first_use >= 0) order.push_back(id);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](BufferId a, BufferId b) { return buffer(a).md.get_size() > buffer(b).md.get_size(); });
  std::vector<BufferId> placed;
  arena_bytes_ = 0;
  for (BufferId id : order) {
    Buffer& b = buffer(id);
    const std::size_t size = aligned(b.md.get_size());
    std::vector<std::pair<std::size_t, std::size_t>> taken;  // [begin, end) of overlapping lifetimes
    for (BufferId other : placed) {
      const Buffer& o = buffer(other);
      if (o.last_use < b.first_use || b.last_use < o.first_use) continue;
      const std::size_t begin = std::get<Arena>(o.storage).offset;
      taken.emplace_back(begin, begin + aligned(o.md.get_size()));
    }
    std::sort(taken.begin(), taken.end());
    std::size_t offset = 0;
    for (const auto& [begin, end] : taken) {
      if (offset + size <= begin) break;
      offset = std::max(offset, end);
    }
    std::get<Arena>(b.storage).offset = offset;
    arena_bytes_ = std::max(arena_bytes_, offset + size);
    placed.push_back(id);
  }
  // One allocation, touched now so that runs take no page faults (a large one is mapped from the kernel
  // and would otherwise be faulted in by the first run).
  arena_ = OwnedBytes(arena_bytes_);
  std::memset(arena_.data(), 0, arena_.size());
  std::byte* const base = arena_.data();
  // Roots first; an alias then takes its root's address.
  for (Buffer& b : buffers_) {
    std::visit(Overloaded{[&](const Arena& arena) { b.mem = memory(b.md, engine_, base + arena.offset); },
                          [&](Owned& owned) { b.mem = memory(b.md, engine_, owned.bytes.data()); },
                          [&](const External& external) { b.mem = memory(b.md, engine_, external.data); },
                          [](const Alias&) {}},
               b.storage);
  }
  for (Buffer& b : buffers_) {
    if (const auto* alias = std::get_if<Alias>(&b.storage)) {
      b.mem = memory(b.md, engine_, buffer(alias->of).mem.get_data_handle());
    }
  }
  for (Step& s : steps_) {
    for (const auto& [arg, id] : s.args) s.bound.emplace(arg, buffer(id).mem);
  }
}

void Plan::execute(dnnl::stream& stream) {
  static const bool profile = std::getenv("CNNZOO_PROFILE") != nullptr;
  if (profile) return execute_profiled(stream);
  for (Step& s : steps_) {
    if (s.custom) {
      stream.wait();
      s.custom();
    } else {
      s.primitive->execute(stream, s.bound);
    }
  }
  stream.wait();
}

// CNNZOO_PROFILE=1: times every step and prints the slowest, with the implementation oneDNN chose.
// (CNNZOO_PROFILE=N: the N slowest.)
void Plan::execute_profiled(dnnl::stream& stream) {
  std::vector<std::pair<double, std::string>> times;
  for (Step& s : steps_) {
    const auto start = std::chrono::steady_clock::now();
    if (s.custom) {
      s.custom();
    } else {
      s.primitive->execute(stream, s.bound);
      stream.wait();
    }
    const std::string impl = implementation(s);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    times.emplace_back(ms, fmt::format("{} [{}]", s.label, impl));
  }
  std::sort(times.rbegin(), times.rend());
  double total = 0;
  for (const auto& [ms, what] : times) total += ms;
  fmt::print(stderr, "plan: {} steps, {:.2f} ms\n", times.size(), total);
  // CNNZOO_PROFILE=N lists the N slowest steps (15 for 1).
  const auto wanted = static_cast<std::size_t>(std::max(1, std::atoi(std::getenv("CNNZOO_PROFILE"))));
  for (std::size_t i = 0; i < std::min<std::size_t>(times.size(), wanted == 1 ? 15 : wanted); ++i) {
    fmt::print(stderr, "  {:8.3f} ms  {}\n", times[i].first, times[i].second);
  }
}

PlanStats plan_stats(const Plan& plan) {
  PlanStats stats;
  stats.steps = static_cast<int64_t>(plan.steps().size());
  for (const Step& s : plan.steps()) {
    stats.reorders += s.is_reorder ? 1 : 0;
    stats.plain_steps += s.primitive ? 0 : 1;
  }
  stats.arena_bytes = static_cast<int64_t>(plan.arena_bytes());
  stats.unplanned_bytes = static_cast<int64_t>(plan.unplanned_bytes());
  stats.weight_bytes = static_cast<int64_t>(plan.owned_bytes());
  return stats;
}

std::string implementation(const Step& step) {
  if (!step.primitive) return "custom";
  const char* name = nullptr;
  dnnl_primitive_desc_query(step.primitive->get_primitive_desc(), dnnl_query_impl_info_str, 0, &name);
  return name != nullptr ? name : "?";
}

std::vector<std::string> reference_layers(const Plan& plan) {
  std::vector<std::string> found;
  for (const Step& s : plan.steps()) {
    if (!s.primitive) continue;
    const dnnl::primitive::kind kind = s.primitive->get_kind();
    const bool heavy = kind == dnnl::primitive::kind::convolution || kind == dnnl::primitive::kind::inner_product;
    const std::string impl = implementation(s);
    if (heavy && impl.starts_with("ref")) found.push_back(fmt::format("{} [{}]", s.label, impl));
  }
  return found;
}

}  // namespace cnnzoo::onednn
