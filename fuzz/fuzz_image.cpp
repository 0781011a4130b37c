// The PNG and JPEG loaders (told apart by the magic bytes) on any bytes: an RGB image holding exactly its
// pixels, or an Error naming the file.
#include <cstdlib>

#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cnnzoo;
  const std::string path = fuzz::write_scratch("image", {data, size});
  try {
    const Image image = read_image(path);
    if (image.channels != 3 || image.height < 1 || image.width < 1 ||
        image.pixels.size() != static_cast<size_t>(image.channels * image.height * image.width)) {
      std::abort();
    }
    fuzz::touch_all(std::span<const uint8_t>(image.pixels));
  } catch (const Error&) {
  }
  return 0;
}
