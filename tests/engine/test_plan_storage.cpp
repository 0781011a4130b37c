// The engine's plan keeps what each buffer is in one typed place (arena, alias, owned weights, the caller's
// memory), its weights in bytes of its own, and a training node's forward primitive_desc typed by kind.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "backend/onednn/plan.h"
#include "backend/onednn/saved.h"
#include "support/error_of.h"

namespace cnnzoo::onednn {
namespace {

using test::error_of;

memory::desc floats(int64_t count) { return memory::desc({count}, memory::data_type::f32, memory::format_tag::a); }

bool aligned_to_64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

TEST(OwnedBytes, AreOfTheSizeAskedAlignedAndZeroSmallOrMapped) {
  for (const std::size_t size : {std::size_t{1}, std::size_t{100}, std::size_t{1} << 20}) {  // heap, heap, mapped
    OwnedBytes bytes(size);
    EXPECT_EQ(bytes.size(), size);
    EXPECT_TRUE(aligned_to_64(bytes.data()));
    const std::vector<std::byte> zeros(size);
    EXPECT_TRUE(std::equal(zeros.begin(), zeros.end(), bytes.data()));
  }
  EXPECT_EQ(OwnedBytes().size(), 0u);
  EXPECT_EQ(OwnedBytes().data(), nullptr);
}

TEST(PlanStorage, EachAddKindMakesItsBufferKind) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  Plan plan(engine);
  float caller[4] = {};
  const BufferId arena = plan.add_buffer(floats(16), "arena");
  const BufferId alias = plan.add_alias(arena, floats(8), "alias");
  const BufferId alias_of_alias = plan.add_alias(alias, floats(4), "alias of alias");
  const BufferId owned = plan.add_owned(floats(8), OwnedBytes(32), "owned");
  const BufferId external = plan.add_external(floats(4), caller, "external");

  EXPECT_EQ(std::get<Alias>(plan.buffer(alias).storage).of, arena);
  EXPECT_EQ(std::get<Alias>(plan.buffer(alias_of_alias).storage).of, arena);  // always the root
  EXPECT_TRUE(std::holds_alternative<Arena>(plan.buffer(arena).storage));
  EXPECT_TRUE(std::holds_alternative<Owned>(plan.buffer(owned).storage));
  EXPECT_EQ(std::get<External>(plan.buffer(external).storage).data, caller);
  EXPECT_EQ(plan.unplanned_bytes(), 64u);  // the arena buffer alone, a cache line
  EXPECT_EQ(plan.owned_bytes(), 32u);      // the owned weights, not the caller's
}

TEST(PlanStorage, FinalizeGivesAliasesTheirRootsBytesAndRebindMovesThemTogether) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  Plan plan(engine);
  float first[4] = {}, second[4] = {};
  const BufferId arena = plan.add_buffer(floats(16), "arena");
  const BufferId arena_view = plan.add_alias(arena, floats(16), "arena view");
  const BufferId owned = plan.add_owned(floats(8), OwnedBytes(32), "owned");
  const BufferId external = plan.add_external(floats(4), first, "external");
  const BufferId external_view = plan.add_alias(external, floats(4), "external view");
  plan.touch(arena);
  plan.touch(external);
  plan.finalize();

  EXPECT_EQ(plan.data(arena_view), plan.data(arena));
  EXPECT_TRUE(aligned_to_64(plan.data(arena)));
  EXPECT_EQ(plan.data(owned), std::get<Owned>(plan.buffer(owned).storage).bytes.data());
  EXPECT_EQ(plan.data(external), first);
  plan.rebind(external, second);
  EXPECT_EQ(plan.data(external), second);
  EXPECT_EQ(plan.data(external_view), second);
}

TEST(PlanStorage, RefusesOwnedBytesShortOfTheDescriptorAndRebindingWhatIsNotExternal) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  Plan plan(engine);
  EXPECT_EQ(error_of([&] { plan.add_owned(floats(16), OwnedBytes(60), "conv1.weight"); }),
            "plan: 60 bytes for 'conv1.weight', which takes 64");
  const BufferId arena = plan.add_buffer(floats(4), "x");
  float data[4] = {};
  EXPECT_EQ(error_of([&] { plan.rebind(arena, data); }), "plan: 'x' is not an external buffer");
}

TEST(SavedForward, ReadsTheKindSavedAndNamesTheNodeWhenAnotherWasSaved) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  const memory::desc md = floats(8);
  const dnnl::eltwise_forward::primitive_desc relu(
      {dnnl::prop_kind::forward_training, dnnl::algorithm::eltwise_relu, md, 0.0f, 0.0f}, engine);
  Saved saved;
  Node node;
  node.name = "relu1";
  EXPECT_EQ(error_of([&] { saved.forward_as<dnnl::eltwise_forward::primitive_desc>(node); }),
            "onednn: relu1: the backward pass needs the eltwise forward primitive, the forward pass saved none");
  saved.forward = relu;
  EXPECT_EQ(saved.forward_as<dnnl::eltwise_forward::primitive_desc>(node).dst_desc(), relu.dst_desc());
  EXPECT_EQ(error_of([&] { saved.forward_as<dnnl::convolution_forward::primitive_desc>(node); }),
            "onednn: relu1: the backward pass needs the convolution forward primitive, the forward pass saved eltwise");
}

}  // namespace
}  // namespace cnnzoo::onednn
