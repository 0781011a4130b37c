// What a killed atomic write leaves (.NAME.tmp.XXXXXX beside the target) is cleared by the next writer.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "io/atomic_file.h"
#include "io/file_support.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;

TEST(AtomicFile, StaleTemporariesOfATargetAreRemovedAndNothingElse) {
  const std::string dir = test::temp_dir("cnnzoo_io");
  const std::set<std::string> kept = {"last.safetensors", ".last.safetensors.tmp.toolong",
                                      ".best.safetensors.tmp.AbC123", "x.last.safetensors.tmp.AbC123",
                                      ".last.safetensors.tmp.12345"};
  for (const std::string& name : kept) test::put(dir + "/" + name, "x");
  test::put(dir + "/.last.safetensors.tmp.AbC123", "partial");
  test::put(dir + "/.last.safetensors.tmp.x9Y8z7", "partial");
  fs::create_directories(dir + "/.last.safetensors.tmp.folder");  // not a file: not one of ours

  EXPECT_EQ(io::remove_stale_temporaries(dir + "/last.safetensors"), 2);
  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir)) left.insert(entry.path().filename().string());
  std::set<std::string> expected = kept;
  expected.insert(".last.safetensors.tmp.folder");
  EXPECT_EQ(left, expected);
  EXPECT_EQ(io::remove_stale_temporaries(dir + "/last.safetensors"), 0);
}

}  // namespace
}  // namespace cnnzoo
