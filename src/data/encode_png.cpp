// PNG writing with libpng's simplified API, atomically (for `make run`'s sample images and for users).
#include <fmt/format.h>
#include <png.h>

#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "io/atomic_file.h"

namespace cnnzoo {

void write_png(const std::string& path, const Image& image) {
  if (image.channels != 1 && image.channels != 3) {
    throw InvalidArgument(fmt::format("{}: PNG images here have 1 or 3 channels, got {}", path, image.channels));
  }
  if (static_cast<int64_t>(image.pixels.size()) != image.channels * image.height * image.width) {
    throw InvalidArgument(fmt::format("{}: {} pixel bytes for a {}x{}x{} image", path, image.pixels.size(),
                                      image.height, image.width, image.channels));
  }
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = image.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), 0, nullptr)) {
    throw Error(fmt::format("{}: cannot encode PNG: {}", path, png.message));
  }
  std::vector<uint8_t> bytes(size);
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr)) {
    throw Error(fmt::format("{}: cannot encode PNG: {}", path, png.message));
  }
  io::write_file_atomically(path, [&](std::FILE* f) { io::write_bytes(f, bytes.data(), size, path); });
}

}  // namespace cnnzoo
