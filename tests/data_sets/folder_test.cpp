// Image folders: the PNG/JPEG fixture of scripts/make_data_fixtures.py, splits, unreadable images.
#include "data_sets/helpers.h"

namespace cnnzoo {
namespace {

using namespace cnnzoo::testing;

fs::path folder_fixture() { return fixture_dir() / "folder"; }

TEST(Folder, DecodesPngAndJpeg) {
  DatasetOptions options;
  options.validation_split = 0;
  auto data = open_dataset("folder:" + folder_fixture().string(), Split::Train, options);
  ASSERT_EQ(data->size(), 6);  // notes.txt is skipped
  EXPECT_EQ(data->num_classes(), 2);
  EXPECT_EQ(data->class_names(), (std::vector<std::string>{"blue", "red"}));
  EXPECT_EQ(data->image_shape(), (Dims{3, 224, 224}));
  EXPECT_EQ(data->name(), "folder");
  EXPECT_FALSE(data->in_memory());
  // Sorted: blue/gradient.png, blue/gray.png, blue/solid.jpg, red/alpha.png, red/gray.jpg, red/solid.jpeg.
  const std::vector<int64_t> labels = {0, 0, 0, 1, 1, 1};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(data->label(i), labels[static_cast<size_t>(i)]);

  const Image gradient = data->image(0);
  ASSERT_EQ(gradient.channels, 3);
  ASSERT_EQ(gradient.height, 8);
  ASSERT_EQ(gradient.width, 10);
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 10; ++x) {
      const uint8_t* p = &gradient.pixels[static_cast<size_t>((y * 10 + x) * 3)];
      EXPECT_EQ(p[0], 20 * x);
      EXPECT_EQ(p[1], 10 * y);
      EXPECT_EQ(p[2], 77);
    }
  }
  const Image gray = data->image(1);  // grayscale PNG expands to RGB
  EXPECT_EQ(gray.height, 5);
  EXPECT_EQ(gray.width, 6);
  for (uint8_t v : gray.pixels) EXPECT_EQ(v, 123);
  const Image alpha = data->image(3);  // RGBA with full alpha
  EXPECT_EQ(alpha.width, 7);
  EXPECT_EQ((std::vector<uint8_t>(alpha.pixels.begin(), alpha.pixels.begin() + 3)),
            (std::vector<uint8_t>{200, 10, 20}));

  const Image solid = data->image(5);  // JPEG: lossy, so within a few levels
  EXPECT_EQ(solid.height, 16);
  EXPECT_EQ(solid.width, 16);
  for (size_t i = 0; i < solid.pixels.size(); i += 3) {
    EXPECT_NEAR(solid.pixels[i], 220, 4);
    EXPECT_NEAR(solid.pixels[i + 1], 30, 4);
    EXPECT_NEAR(solid.pixels[i + 2], 30, 4);
  }
  const Image gray_jpeg = data->image(4);  // grayscale JPEG expands to RGB
  EXPECT_EQ(gray_jpeg.channels, 3);
  EXPECT_NEAR(gray_jpeg.pixels[0], 60, 3);
  EXPECT_EQ(gray_jpeg.pixels[0], gray_jpeg.pixels[1]);
}

TEST(Folder, ValidationSplitIsDeterministicAndDisjoint) {
  DatasetOptions options;
  options.validation_split = 0.34;
  options.split_seed = 3;
  options.image_size = 32;
  const std::string spec = "folder:" + folder_fixture().string();
  auto train = open_dataset(spec, Split::Train, options);
  auto val = open_dataset(spec, Split::Test, options);
  ASSERT_EQ(val->size(), 2);
  ASSERT_EQ(train->size(), 4);
  EXPECT_EQ(train->image_shape(), (Dims{3, 32, 32}));
  EXPECT_EQ(train->num_classes(), 2);
  auto val_again = open_dataset(spec, Split::Test, options);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(val->image(i).pixels, val_again->image(i).pixels);
    for (int j = 0; j < 4; ++j) {
      const Image a = val->image(i), b = train->image(j);
      EXPECT_FALSE(a.pixels == b.pixels && a.width == b.width) << i << " " << j;
    }
  }
  options.validation_split = 0;
  EXPECT_THROW(open_dataset(spec, Split::Test, options), InvalidArgument);
}

TEST(Folder, TrainAndValSubfolders) {
  const fs::path dir = scratch_dir("tv");
  for (const char* part : {"train", "val"}) {
    fs::create_directories(dir / part);
    fs::copy(folder_fixture(), dir / part, fs::copy_options::recursive);
  }
  fs::remove(dir / "val" / "red" / "alpha.png");
  EXPECT_EQ(open_dataset("folder:" + dir.string(), Split::Train)->size(), 6);
  EXPECT_EQ(open_dataset("folder:" + dir.string(), Split::Test)->size(), 5);
}

TEST(Folder, UnreadableImagesNameTheFile) {
  const fs::path dir = scratch_dir("bad");
  fs::copy(folder_fixture(), dir, fs::copy_options::recursive);
  DatasetOptions options;
  options.validation_split = 0;
  const std::string spec = "folder:" + dir.string();

  const fs::path jpeg = dir / "red" / "solid.jpeg";
  const auto good_jpeg = read_bytes(jpeg);
  write_bytes(jpeg,
              std::vector<uint8_t>(good_jpeg.begin(), good_jpeg.begin() + static_cast<long>(good_jpeg.size() / 2)));
  auto data = open_dataset(spec, Split::Train, options);
  expect_error_mentions([&] { data->image(5); }, {jpeg.string(), "JPEG"});

  write_bytes(jpeg, std::vector<uint8_t>(good_jpeg.begin(), good_jpeg.begin() + 20));
  expect_error_mentions([&] { data->image(5); }, {jpeg.string(), "JPEG"});

  const fs::path png = dir / "blue" / "gradient.png";
  const auto good_png = read_bytes(png);
  write_bytes(png, std::vector<uint8_t>(good_png.begin(), good_png.end() - 30));
  expect_error_mentions([&] { data->image(0); }, {png.string(), "PNG"});
  auto corrupt = good_png;
  corrupt[40] ^= 0x55;  // inside the IDAT: the CRC or the zlib stream breaks
  write_bytes(png, corrupt);
  expect_error_mentions([&] { data->image(0); }, {png.string(), "PNG"});

  write_bytes(png, {'h', 'e', 'l', 'l', 'o'});
  expect_error_mentions([&] { data->image(0); }, {png.string(), "not a JPEG or PNG"});

  fs::remove(png);
  expect_error_mentions([&] { data->image(0); }, {png.string()});
}

TEST(Folder, BadLayoutsNameTheFolder) {
  const fs::path empty = scratch_dir("empty");
  expect_error_mentions([&] { open_dataset("folder:" + empty.string(), Split::Train); },
                        {empty.string(), "no class subfolders"});
  fs::create_directories(empty / "cat");
  std::ofstream(empty / "cat" / "readme.txt") << "x";
  expect_error_mentions([&] { open_dataset("folder:" + empty.string(), Split::Train); },
                        {(empty / "cat").string(), "no .jpg"});
  expect_error_mentions([&] { open_dataset("folder:" + (empty / "missing").string(), Split::Train); },
                        {(empty / "missing").string(), "not a directory"});
}

}  // namespace
}  // namespace cnnzoo
