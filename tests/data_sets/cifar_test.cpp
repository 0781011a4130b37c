// CIFAR-10 and CIFAR-100 binary batches written by the test, and malformed variants.
#include <fmt/format.h>

#include "data_sets/helpers.h"

namespace cnnzoo {
namespace {

using namespace cnnzoo::testing;

// data_batch_k holds k records with labels k - 1 .. ; test_batch two records.
void write_cifar10(const fs::path& dir) {
  for (int k = 1; k <= 5; ++k) {
    std::vector<uint8_t> bytes;
    for (int r = 0; r < k; ++r) {
      const auto rec = cifar_record({static_cast<uint8_t>((k + r) % 10)}, 10 * k + r);
      bytes.insert(bytes.end(), rec.begin(), rec.end());
    }
    write_bytes(dir / fmt::format("data_batch_{}.bin", k), bytes);
  }
  auto test = cifar_record({7}, 0);
  const auto second = cifar_record({9}, 1);
  test.insert(test.end(), second.begin(), second.end());
  write_bytes(dir / "test_batch.bin", test);
}

TEST(Cifar, Cifar10Binary) {
  const fs::path dir = scratch_dir("c10");
  write_cifar10(dir);
  auto train = open_dataset("cifar10:" + dir.string(), Split::Train);
  auto test = open_dataset("cifar10:" + dir.string(), Split::Test);
  ASSERT_EQ(train->size(), 15);
  ASSERT_EQ(test->size(), 2);
  EXPECT_EQ(train->image_shape(), (Dims{3, 32, 32}));
  EXPECT_EQ(train->num_classes(), 10);
  EXPECT_EQ(train->class_names()[0], "airplane");
  EXPECT_EQ(train->class_names()[9], "truck");
  EXPECT_EQ(test->label(0), 7);
  EXPECT_EQ(test->label(1), 9);
  EXPECT_EQ(train->label(0), 1);   // batch 1, record 0
  EXPECT_EQ(train->label(14), 9);  // batch 5, record 4: (5 + 4) % 10
  // Planes become HWC: channel c of pixel p is (seed + 3p + c) % 256.
  const Image img = train->image(3);  // batch 3, record 0: seed 30
  ASSERT_EQ(img.pixels.size(), 3072u);
  for (int p : {0, 1, 100, 1023}) {
    for (int c = 0; c < 3; ++c) EXPECT_EQ(img.pixels[static_cast<size_t>(p * 3 + c)], (30 + 3 * p + c) % 256);
  }
  EXPECT_NEAR(train->normalization().mean[2], 0.4465, 1e-6);
  EXPECT_NEAR(train->normalization().stddev[0], 0.2470, 1e-6);
}

TEST(Cifar, Cifar10ClassNamesFromMeta) {
  const fs::path dir = scratch_dir("c10") / "cifar-10-batches-bin";
  fs::create_directories(dir);
  write_cifar10(dir);
  std::ofstream(dir / "batches.meta.txt") << "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n";
  auto test = open_dataset("cifar10:" + dir.parent_path().string(), Split::Test);
  EXPECT_EQ(test->class_names()[9], "j");
  std::ofstream(dir / "batches.meta.txt") << "a\nb\n";
  expect_error_mentions([&] { open_dataset("cifar10:" + dir.string(), Split::Test); },
                        {"batches.meta.txt", "2 class names"});
}

TEST(Cifar, Cifar100UsesFineLabels) {
  const fs::path dir = scratch_dir("c100");
  std::vector<uint8_t> bytes;
  for (int r = 0; r < 3; ++r) {
    const auto rec = cifar_record({static_cast<uint8_t>(19 - r), static_cast<uint8_t>(97 + r)}, r);
    bytes.insert(bytes.end(), rec.begin(), rec.end());
  }
  write_bytes(dir / "train.bin", bytes);
  write_bytes(dir / "test.bin", cifar_record({0, 42}, 5));
  std::string names;
  for (int k = 0; k < 100; ++k) names += fmt::format("fine_{}\n", k);
  std::ofstream(dir / "fine_label_names.txt") << names;
  auto train = open_dataset("cifar100:" + dir.string(), Split::Train);
  auto test = open_dataset("cifar100:" + dir.string(), Split::Test);
  ASSERT_EQ(train->size(), 3);
  EXPECT_EQ(train->num_classes(), 100);
  EXPECT_EQ(train->label(0), 97);
  EXPECT_EQ(train->label(2), 99);
  EXPECT_EQ(test->label(0), 42);
  EXPECT_EQ(train->class_names()[99], "fine_99");
  EXPECT_EQ(test->image(0).pixels[3 * 5 + 1], (5 + 15 + 1) % 256);
  EXPECT_NEAR(train->normalization().mean[0], 0.5071, 1e-6);
}

TEST(Cifar, MalformedFilesNameTheFile) {
  const fs::path dir = scratch_dir("c10");
  write_cifar10(dir);
  const std::string spec = "cifar10:" + dir.string();
  const fs::path batch = dir / "data_batch_2.bin";
  const auto good = read_bytes(batch);

  write_bytes(batch, std::vector<uint8_t>(good.begin(), good.end() - 100));
  expect_error_mentions([&] { open_dataset(spec, Split::Train); }, {batch.string(), "3073-byte"});

  write_bytes(batch, {});
  expect_error_mentions([&] { open_dataset(spec, Split::Train); }, {batch.string()});

  auto bad = good;
  bad[3073] = 10;
  write_bytes(batch, bad);
  expect_error_mentions([&] { open_dataset(spec, Split::Train); }, {batch.string(), "record 1", "label 10"});

  fs::remove(batch);
  expect_error_mentions([&] { open_dataset(spec, Split::Train); }, {batch.string(), "no such file"});
  EXPECT_NO_THROW(open_dataset(spec, Split::Test));

  const fs::path c100 = scratch_dir("c100");
  write_bytes(c100 / "train.bin", cifar_record({20, 1}, 0));
  expect_error_mentions([&] { open_dataset("cifar100:" + c100.string(), Split::Train); },
                        {(c100 / "train.bin").string(), "coarse label 20"});
  write_bytes(c100 / "train.bin", cifar_record({2, 100}, 0));
  expect_error_mentions([&] { open_dataset("cifar100:" + c100.string(), Split::Train); },
                        {(c100 / "train.bin").string(), "fine label 100"});
  write_bytes(c100 / "train.bin", cifar_record({2}, 0));  // a CIFAR-10 record
  expect_error_mentions([&] { open_dataset("cifar100:" + c100.string(), Split::Train); },
                        {(c100 / "train.bin").string(), "3074-byte"});
  expect_error_mentions([&] { open_dataset("cifar100:" + (c100 / "none").string(), Split::Train); },
                        {(c100 / "none").string(), "not a directory"});
}

}  // namespace
}  // namespace cnnzoo
