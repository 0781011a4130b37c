// IDX sets: the real Fashion-MNIST from Debian's package, tiny written sets, malformed files.
#include "data_sets/helpers.h"

namespace cnnzoo {
namespace {

using namespace cnnzoo::testing;

bool have_fashion_mnist() { return fs::exists(fs::path(fashion_mnist_dir) / "train-images-idx3-ubyte.gz"); }

TEST(Idx, FashionMnistFromDebianPackage) {
  ASSERT_TRUE(have_fashion_mnist()) << "install the Debian package dataset-fashion-mnist (make test does)";
  auto train = open_dataset("fashion-mnist", Split::Train);
  auto test = open_dataset("fashion-mnist", Split::Test);
  EXPECT_EQ(train->size(), 60000);
  EXPECT_EQ(test->size(), 10000);
  EXPECT_EQ(train->image_shape(), (Dims{1, 28, 28}));
  EXPECT_EQ(train->num_classes(), 10);
  EXPECT_EQ(train->class_names()[0], "T-shirt/top");
  EXPECT_EQ(train->class_names()[9], "Ankle boot");
  EXPECT_EQ(train->name(), "fashion-mnist");
  // Read independently with Python's gzip: train labels 9 0 0 3 0 2 7 2, test labels 9 2 1 1.
  const std::vector<int64_t> want = {9, 0, 0, 3, 0, 2, 7, 2};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(train->label(i), want[static_cast<size_t>(i)]) << i;
  EXPECT_EQ(test->label(1), 2);
  EXPECT_EQ(test->label(3), 1);
  const Image first = train->image(0);
  ASSERT_EQ(first.pixels.size(), 784u);
  int64_t sum = 0;
  for (uint8_t p : first.pixels) sum += p;
  EXPECT_EQ(sum, 76247);  // python: sum of bytes 16..800 of the decompressed file
  EXPECT_EQ(first.pixels[14 * 28 + 4], 0x06);
  EXPECT_EQ(first.pixels[14 * 28 + 12], 0xed);
  EXPECT_NEAR(train->normalization().mean[0], 0.2860, 1e-6);
  EXPECT_NEAR(train->normalization().stddev[0], 0.3530, 1e-6);
}

TEST(Idx, TinyPlainAndGzippedAgree) {
  const fs::path plain = scratch_dir("plain"), gz = scratch_dir("gz");
  write_tiny_idx(plain, 5, false);
  write_tiny_idx(gz, 5, true);
  auto a = open_dataset("mnist:" + plain.string(), Split::Train);
  auto b = open_dataset("mnist:" + gz.string(), Split::Test);
  ASSERT_EQ(a->size(), 5);
  ASSERT_EQ(b->size(), 5);
  EXPECT_EQ(a->image_shape(), (Dims{1, 4, 3}));
  EXPECT_EQ(a->name(), "mnist");
  EXPECT_EQ(a->class_names()[3], "3");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(a->label(i), i);
    EXPECT_EQ(a->image(i).pixels, b->image(i).pixels);
    EXPECT_EQ(a->image(i).pixels[5], i * 16 + 5);  // y = 1, x = 2
  }
  EXPECT_THROW(a->image(5), InvalidArgument);
}

TEST(Idx, MissingFashionMnistNamesThePackage) {
  expect_error_mentions([] { open_dataset("fashion-mnist:/nonexistent/fashion", Split::Train); },
                        {"Fashion-MNIST is not installed", "dataset-fashion-mnist",
                         "apt-get install dataset-fashion-mnist", "looked in /nonexistent/fashion"});
  if (!have_fashion_mnist()) {
    expect_error_mentions([] { open_dataset("fashion-mnist", Split::Train); },
                          {"dataset-fashion-mnist", fashion_mnist_dir});
  }
}

TEST(Idx, MissingFileNamesIt) {
  const fs::path dir = scratch_dir("d");
  write_tiny_idx(dir, 3, false);
  fs::remove(dir / "t10k-labels-idx1-ubyte");
  expect_error_mentions([&] { open_dataset("mnist:" + dir.string(), Split::Test); },
                        {"t10k-labels-idx1-ubyte", dir.string()});
  EXPECT_NO_THROW(open_dataset("mnist:" + dir.string(), Split::Train));
}

TEST(Idx, MalformedFilesNameTheFile) {
  const fs::path dir = scratch_dir("d");
  write_tiny_idx(dir, 3, false);
  const fs::path images = dir / "train-images-idx3-ubyte", labels = dir / "train-labels-idx1-ubyte";
  const auto good_images = read_bytes(images), good_labels = read_bytes(labels);
  const std::string spec = "mnist:" + dir.string();
  auto open = [&] { open_dataset(spec, Split::Train); };

  auto bad = good_images;
  bad[0] = 0x12;
  write_bytes(images, bad);
  expect_error_mentions(open, {images.string(), "magic"});

  bad = good_images;
  bad[3] = 2;
  write_bytes(images, bad);
  expect_error_mentions(open, {images.string(), "2 dimensions, expected 3"});

  bad = good_images;
  bad[2] = 0x0d;  // float data
  write_bytes(images, bad);
  expect_error_mentions(open, {images.string(), "element type"});

  bad.assign(good_images.begin(), good_images.end() - 7);
  write_bytes(images, bad);
  expect_error_mentions(open, {images.string(), "truncated"});

  bad = good_images;
  bad.push_back(1);
  write_bytes(images, bad);
  expect_error_mentions(open, {images.string(), "holds"});

  bad.assign(good_images.begin(), good_images.begin() + 10);
  write_bytes(images, bad);
  expect_error_mentions(open, {images.string(), "header"});

  write_bytes(images, {});
  expect_error_mentions(open, {images.string()});

  write_bytes(images, good_images);
  write_bytes(labels, idx_bytes({2}, {0, 1}));
  expect_error_mentions(open, {labels.string(), "2 labels for the 3 images"});

  write_bytes(labels, idx_bytes({3}, {0, 10, 1}));
  expect_error_mentions(open, {labels.string(), "label 10"});

  write_bytes(labels, good_labels);
  EXPECT_NO_THROW(open());
}

TEST(Idx, TruncatedAndCorruptGzipNameTheFile) {
  const fs::path dir = scratch_dir("d");
  write_tiny_idx(dir, 40, true);
  const fs::path images = dir / "train-images-idx3-ubyte.gz";
  const auto good = read_bytes(images);
  const std::string spec = "mnist:" + dir.string();

  write_bytes(images, std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(good.size() / 2)));
  expect_error_mentions([&] { open_dataset(spec, Split::Train); }, {images.string(), "gzip"});

  auto flipped = good;
  flipped[good.size() - 6] ^= 0xff;  // the CRC
  write_bytes(images, flipped);
  expect_error_mentions([&] { open_dataset(spec, Split::Train); }, {images.string()});

  write_bytes(images, std::vector<uint8_t>(good.begin(), good.begin() + 12));
  expect_error_mentions([&] { open_dataset(spec, Split::Train); }, {images.string()});
}

TEST(Idx, UnknownKindListsTheKnownOnes) {
  try {
    open_dataset("imagenet:/data", Split::Train);
    FAIL() << "no exception";
  } catch (const UnknownNameError& e) {
    const std::string m = e.what();
    for (const char* kind : {"fashion-mnist", "mnist", "cifar10", "cifar100", "folder", "imagenet"}) {
      EXPECT_NE(m.find(kind), std::string::npos) << m;
    }
  }
  EXPECT_THROW(open_dataset("mnist", Split::Train), InvalidArgument);
}

TEST(Idx, TakeFirstAndValidationSplit) {
  const fs::path dir = scratch_dir("d");
  write_tiny_idx(dir, 16, false);  // pixel 0 of image i: 16 i
  auto first = take_first(open_dataset("mnist:" + dir.string(), Split::Train), 7);
  ASSERT_EQ(first->size(), 7);
  EXPECT_EQ(first->label(6), 6);
  EXPECT_EQ(first->image(6).pixels[0], 96);
  EXPECT_THROW(first->label(7), InvalidArgument);
  EXPECT_EQ(take_first(open_dataset("mnist:" + dir.string(), Split::Train), 100)->size(), 16);

  auto parts = split_validation(open_dataset("mnist:" + dir.string(), Split::Train), 0.25, 7);
  auto again = split_validation(open_dataset("mnist:" + dir.string(), Split::Train), 0.25, 7);
  ASSERT_EQ(parts.validation->size(), 4);
  ASSERT_EQ(parts.train->size(), 12);
  std::vector<int64_t> seen;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(parts.validation->image(i).pixels, again.validation->image(i).pixels);
    seen.push_back(parts.validation->image(i).pixels[0] / 16);
  }
  for (int i = 0; i < 12; ++i) seen.push_back(parts.train->image(i).pixels[0] / 16);
  std::sort(seen.begin(), seen.end());
  for (int i = 0; i < 16; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
  EXPECT_THROW(split_validation(open_dataset("mnist:" + dir.string(), Split::Train), 1.0, 0), InvalidArgument);
}

TEST(Idx, SeededPermutationIsAPermutation) {
  auto p = seeded_permutation(1000, 42);
  EXPECT_EQ(p, seeded_permutation(1000, 42));
  EXPECT_NE(p, seeded_permutation(1000, 43));
  auto sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
}

}  // namespace
}  // namespace cnnzoo
