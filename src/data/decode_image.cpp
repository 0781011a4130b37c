// JPEG (libjpeg-turbo) and PNG (libpng's simplified API) decoding to 8-bit RGB. libjpeg reports errors by
// calling error_exit, which must not return: ours longjmps back to decode_jpeg, which throws. libjpeg's
// warnings (a premature end of data, corrupt entropy data) are treated as errors too, except for
// extraneous bytes before a marker, which many real photographs carry and which lose no data.
#include <fmt/format.h>
// clang-format off
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>
// clang-format on
#include <png.h>

#include <csetjmp>
#include <cstring>

#include "cnnzoo/error.h"
#include "data/data_sets.h"

namespace cnnzoo::data {
namespace {

// Larger images are refused rather than risking an allocation of many gigabytes for a damaged header.
constexpr uint64_t kMaxPixels = uint64_t{1} << 28;

struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_fail(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void jpeg_message(j_common_ptr info, int level) {
  if (level < 0 && info->err->msg_code != JWRN_EXTRANEOUS_DATA) jpeg_fail(info);
}

// Kept apart from anything with a destructor: longjmp lands here, past only libjpeg's C frames.
bool decode_jpeg_into(const std::vector<uint8_t>& bytes, Image& out, JpegErrors& errors) {
  jpeg_decompress_struct info;
  info.err = jpeg_std_error(&errors.mgr);
  errors.mgr.error_exit = jpeg_fail;
  errors.mgr.emit_message = jpeg_message;
  errors.message[0] = '\0';
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    std::snprintf(errors.message, sizeof errors.message, "CMYK JPEG images are not supported");
    jpeg_destroy_decompress(&info);
    return false;
  }
  if (uint64_t{info.image_width} * info.image_height > kMaxPixels) {
    std::snprintf(errors.message, sizeof errors.message, "%ux%u pixels is more than the %llu allowed", info.image_width,
                  info.image_height, static_cast<unsigned long long>(kMaxPixels));
    jpeg_destroy_decompress(&info);
    return false;
  }
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  out.channels = 3;
  out.height = info.output_height;
  out.width = info.output_width;
  out.pixels.resize(static_cast<size_t>(out.height * out.width * 3));
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out.pixels.data() + static_cast<size_t>(info.output_scanline) * out.width * 3;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

Image decode_jpeg(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  Image out;
  JpegErrors errors;
  if (!decode_jpeg_into(bytes, out, errors)) {
    throw Error(fmt::format("{}: cannot decode JPEG: {}", path.string(), errors.message));
  }
  return out;
}

Image decode_png(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) {
    throw Error(fmt::format("{}: cannot decode PNG: {}", path.string(), png.message));
  }
  if (uint64_t{png.width} * png.height > kMaxPixels) {
    png_image_free(&png);
    throw Error(fmt::format("{}: cannot decode PNG: {}x{} pixels is more than the {} allowed", path.string(), png.width,
                            png.height, kMaxPixels));
  }
  png.format = PNG_FORMAT_RGB;
  Image out{3, png.height, png.width, {}};
  out.pixels.resize(PNG_IMAGE_SIZE(png));
  // Transparent pixels are composited onto black.
  png_color background{0, 0, 0};
  if (!png_image_finish_read(&png, &background, out.pixels.data(), 0, nullptr)) {
    const std::string message = png.message;
    png_image_free(&png);
    throw Error(fmt::format("{}: cannot decode PNG: {}", path.string(), message));
  }
  return out;
}

}  // namespace

Image decode_image(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return decode_jpeg(path, bytes);
  static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), png_magic, 8) == 0) return decode_png(path, bytes);
  throw Error(fmt::format("{}: not a JPEG or PNG image ({} bytes, unknown signature)", path.string(), bytes.size()));
}

}  // namespace cnnzoo::data

namespace cnnzoo {

Image read_image(const std::string& path) { return data::decode_image(path); }

}  // namespace cnnzoo
